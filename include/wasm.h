/* include/wasm.h — PLACEHOLDER */
