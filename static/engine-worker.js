// Starts the engine worker (`src/bin/engine_worker.rs`): the page creates `new Worker` on this.
importScripts("./gepa-worker.js");
wasm_bindgen({ module_or_path: "./gepa-worker_bg.wasm" });
