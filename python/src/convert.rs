//! JSON values to Python objects and back (for `Job.to_dict`, `Job.from_dict` and
//! `Client.create_whole_image_from_body`).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple};
use serde_json::{Map, Number, Value};

/// How deep a Python structure may nest before it is refused (guards against cycles).
pub const MAX_DEPTH: usize = 64;

/// A JSON value as the Python object `json.loads` would give.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A Python object (`None`, `bool`, `int`, `float`, `str`, a mapping with `str` keys, a list or
/// tuple) as a JSON value; anything else is a `TypeError` naming where it was found
/// (`image_tags[1].value: ...`).
pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    from_py_at(obj, "$", 0)
}

fn type_error(path: &str, what: impl std::fmt::Display) -> PyErr {
    PyTypeError::new_err(format!("{path}: {what}"))
}

/// `parent.key` (`key` at the root).
fn key_path(parent: &str, key: &str) -> String {
    if parent == "$" {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

fn from_py_at(obj: &Bound<'_, PyAny>, path: &str, depth: usize) -> PyResult<Value> {
    if depth > MAX_DEPTH {
        return Err(type_error(
            path,
            format!("nested deeper than {MAX_DEPTH} levels"),
        ));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(type_error(path, "integer out of the 64-bit range"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        return Number::from_f64(f.value())
            .map(Value::Number)
            .ok_or_else(|| type_error(path, "NaN and infinity are not JSON"));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_cow()?.into_owned()));
    }
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        let mut out = Map::new();
        for item in mapping.items()?.iter() {
            let (key, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            let Ok(key) = key.cast::<PyString>() else {
                return Err(type_error(
                    path,
                    format!("keys must be str, got {}", key.get_type().name()?),
                ));
            };
            let key = key.to_cow()?.into_owned();
            let v = from_py_at(&value, &key_path(path, &key), depth + 1)?;
            out.insert(key, v);
        }
        return Ok(Value::Object(out));
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        let mut out = Vec::new();
        for (i, item) in obj.try_iter()?.enumerate() {
            out.push(from_py_at(&item?, &format!("{path}[{i}]"), depth + 1)?);
        }
        return Ok(Value::Array(out));
    }
    Err(type_error(
        path,
        format!(
            "cannot be sent as JSON: {} is not None, bool, int, float, str, a mapping, a list or a tuple",
            obj.get_type().name()?
        ),
    ))
}
