/* include/kiln.h — PLACEHOLDER */
