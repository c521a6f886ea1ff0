//! A small promise-based wrapper over IndexedDB: string values under string keys in named
//! object stores. Writes resolve when their transaction commits, so a value is either fully
//! stored or not at all.

use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{IdbDatabase, IdbOpenDbRequest, IdbRequest, IdbTransaction, IdbTransactionMode};

/// An open database.
#[derive(Debug, Clone)]
pub struct Idb {
    db: IdbDatabase,
}

fn describe(error: &JsValue) -> String {
    if let Some(e) = error.dyn_ref::<web_sys::DomException>() {
        if e.name() == "QuotaExceededError" {
            return "the browser's storage quota is full: delete saved runs or clear the response cache".into();
        }
        return format!("{}: {}", e.name(), e.message());
    }
    error.as_string().unwrap_or_else(|| format!("{error:?}"))
}

/// Resolves with the request's result, or rejects with its error.
async fn settle(request: &IdbRequest) -> Result<JsValue, String> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let (req, req2) = (request.clone(), request.clone());
        let on_ok = Closure::once_into_js(move || {
            let _ = resolve.call1(&JsValue::NULL, &req.result().unwrap_or(JsValue::UNDEFINED));
        });
        let on_err = Closure::once_into_js(move || {
            let error = req2.error().ok().flatten().map_or(JsValue::NULL, JsValue::from);
            let _ = reject.call1(&JsValue::NULL, &error);
        });
        request.set_onsuccess(Some(on_ok.unchecked_ref()));
        request.set_onerror(Some(on_err.unchecked_ref()));
    });
    JsFuture::from(promise).await.map_err(|e| describe(&e))
}

/// Resolves when the transaction commits; rejects when it aborts or fails.
async fn committed(tx: &IdbTransaction) -> Result<(), String> {
    let promise = js_sys::Promise::new(&mut |resolve, reject| {
        let tx2 = tx.clone();
        let on_ok = Closure::once_into_js(move || {
            let _ = resolve.call0(&JsValue::NULL);
        });
        let reject2 = reject.clone();
        let tx3 = tx.clone();
        let on_err = Closure::once_into_js(move || {
            let error = tx2.error().map_or(JsValue::NULL, JsValue::from);
            let _ = reject.call1(&JsValue::NULL, &error);
        });
        let on_abort = Closure::once_into_js(move || {
            let error =
                tx3.error().map_or(JsValue::from_str("the write was aborted"), JsValue::from);
            let _ = reject2.call1(&JsValue::NULL, &error);
        });
        tx.set_oncomplete(Some(on_ok.unchecked_ref()));
        tx.set_onerror(Some(on_err.unchecked_ref()));
        tx.set_onabort(Some(on_abort.unchecked_ref()));
    });
    JsFuture::from(promise).await.map(|_| ()).map_err(|e| describe(&e))
}

impl Idb {
    /// Opens (creating or upgrading) database `name` with these object stores.
    ///
    /// # Errors
    /// When IndexedDB is unavailable (private modes, blocked storage) or the open fails.
    pub async fn open(
        name: &str,
        version: u32,
        stores: &'static [&'static str],
    ) -> Result<Idb, String> {
        let factory = web_sys::window().and_then(|w| w.indexed_db().ok().flatten()).ok_or(
            "this browser does not allow IndexedDB here (private mode or blocked storage)",
        )?;
        let open: IdbOpenDbRequest =
            factory.open_with_u32(name, version).map_err(|e| describe(&e))?;
        let upgrading = open.clone();
        let on_upgrade = Closure::once_into_js(move || {
            if let Ok(result) = upgrading.result()
                && let Ok(db) = result.dyn_into::<IdbDatabase>()
            {
                let existing = db.object_store_names();
                for store in stores {
                    if !existing.contains(store) {
                        let _ = db.create_object_store(store);
                    }
                }
            }
        });
        open.set_onupgradeneeded(Some(on_upgrade.unchecked_ref()));
        let db = settle(&open).await?.dyn_into::<IdbDatabase>().map_err(|e| describe(&e))?;
        Ok(Idb { db })
    }

    fn store(
        &self,
        store: &str,
        mode: IdbTransactionMode,
    ) -> Result<(IdbTransaction, web_sys::IdbObjectStore), String> {
        let tx = self.db.transaction_with_str_and_mode(store, mode).map_err(|e| describe(&e))?;
        let object_store = tx.object_store(store).map_err(|e| describe(&e))?;
        Ok((tx, object_store))
    }

    /// The value under `key`, if any.
    ///
    /// # Errors
    /// When the read fails.
    pub async fn get(&self, store: &str, key: &str) -> Result<Option<String>, String> {
        let (_tx, s) = self.store(store, IdbTransactionMode::Readonly)?;
        let request = s.get(&JsValue::from_str(key)).map_err(|e| describe(&e))?;
        Ok(settle(&request).await?.as_string())
    }

    /// Stores `value` under `key`; resolves once committed.
    ///
    /// # Errors
    /// When the write fails (the quota error says what to do).
    pub async fn put(&self, store: &str, key: &str, value: &str) -> Result<(), String> {
        let (tx, s) = self.store(store, IdbTransactionMode::Readwrite)?;
        s.put_with_key(&JsValue::from_str(value), &JsValue::from_str(key))
            .map_err(|e| describe(&e))?;
        committed(&tx).await
    }

    /// Stores several values, possibly in several stores, in one transaction: all of them are
    /// written or none is (a crash mid-write leaves the previous values).
    ///
    /// # Errors
    /// When the write fails (the quota error says what to do).
    pub async fn put_all(&self, writes: &[(&str, &str, &str)]) -> Result<(), String> {
        let names = js_sys::Array::new();
        for (store, _, _) in writes {
            names.push(&JsValue::from_str(store));
        }
        let tx = self
            .db
            .transaction_with_str_sequence_and_mode(&names, IdbTransactionMode::Readwrite)
            .map_err(|e| describe(&e))?;
        for (store, key, value) in writes {
            let s = tx.object_store(store).map_err(|e| describe(&e))?;
            s.put_with_key(&JsValue::from_str(value), &JsValue::from_str(key))
                .map_err(|e| describe(&e))?;
        }
        committed(&tx).await
    }

    /// Deletes `key` from each of `stores`, in one transaction.
    ///
    /// # Errors
    /// When the delete fails.
    pub async fn delete_all(&self, stores: &[&str], key: &str) -> Result<(), String> {
        let names = js_sys::Array::new();
        for store in stores {
            names.push(&JsValue::from_str(store));
        }
        let tx = self
            .db
            .transaction_with_str_sequence_and_mode(&names, IdbTransactionMode::Readwrite)
            .map_err(|e| describe(&e))?;
        for store in stores {
            tx.object_store(store)
                .map_err(|e| describe(&e))?
                .delete(&JsValue::from_str(key))
                .map_err(|e| describe(&e))?;
        }
        committed(&tx).await
    }

    /// Deletes `key`.
    ///
    /// # Errors
    /// When the delete fails.
    pub async fn delete(&self, store: &str, key: &str) -> Result<(), String> {
        let (tx, s) = self.store(store, IdbTransactionMode::Readwrite)?;
        s.delete(&JsValue::from_str(key)).map_err(|e| describe(&e))?;
        committed(&tx).await
    }

    /// Every key in `store`.
    ///
    /// # Errors
    /// When the read fails.
    pub async fn keys(&self, store: &str) -> Result<Vec<String>, String> {
        let (_tx, s) = self.store(store, IdbTransactionMode::Readonly)?;
        let request = s.get_all_keys().map_err(|e| describe(&e))?;
        let keys = settle(&request).await?;
        Ok(js_sys::Array::from(&keys).iter().filter_map(|k| k.as_string()).collect())
    }

    /// Deletes everything in `store`.
    ///
    /// # Errors
    /// When the clear fails.
    pub async fn clear(&self, store: &str) -> Result<(), String> {
        let (tx, s) = self.store(store, IdbTransactionMode::Readwrite)?;
        s.clear().map_err(|e| describe(&e))?;
        committed(&tx).await
    }
}
