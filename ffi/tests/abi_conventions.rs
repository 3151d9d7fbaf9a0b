//! The export conventions of the C ABI, checked on the source: an export is `unsafe extern "C"`
//! exactly when it takes a raw pointer (the caller then has a contract to keep, written in its
//! `# Safety` section), and plain `extern "C"` otherwise; every export is `#[unsafe(no_mangle)]`
//! and named `ims_*`.

use std::path::Path;

/// Every `pub ... extern "C" fn` of ffi/src: (file, name, is unsafe, parameters, doc comment).
fn exports() -> Vec<(String, String, bool, String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("ffi/src")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    files.sort();
    for path in files {
        let text = std::fs::read_to_string(&path).expect("readable");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let line = line.trim_start();
            let (unsafe_fn, rest) =
                if let Some(r) = line.strip_prefix("pub unsafe extern \"C\" fn ") {
                    (true, r)
                } else if let Some(r) = line.strip_prefix("pub extern \"C\" fn ") {
                    (false, r)
                } else {
                    continue;
                };
            let name = rest.split('(').next().unwrap_or_default().to_owned();
            // The parameters: from the first '(' to its matching ')'.
            let joined = lines[i..].join("\n");
            let open = joined.find('(').unwrap_or_default();
            let mut depth = 0usize;
            let mut close = joined.len();
            for (k, c) in joined[open..].char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            close = open + k;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let params = joined[open..close].to_owned();
            let mut doc = String::new();
            for l in lines[..i].iter().rev() {
                let l = l.trim_start();
                if l.starts_with("///") || l.starts_with("#[") {
                    doc.insert_str(0, l);
                    doc.insert(0, '\n');
                } else {
                    break;
                }
            }
            let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
            found.push((file.unwrap_or_default(), name, unsafe_fn, params, doc));
        }
    }
    found
}

#[test]
fn unsafe_exactly_when_a_raw_pointer_is_taken() {
    let all = exports();
    assert!(all.len() > 40, "found only {} exports", all.len());
    for (file, name, unsafe_fn, params, doc) in &all {
        let takes_pointer = params.contains("*const") || params.contains("*mut");
        assert_eq!(
            *unsafe_fn,
            takes_pointer,
            "{file}: {name} is {} but {}",
            if *unsafe_fn { "unsafe" } else { "safe" },
            if takes_pointer {
                "takes a raw pointer"
            } else {
                "takes no raw pointer"
            }
        );
        if *unsafe_fn {
            assert!(
                doc.contains("# Safety"),
                "{file}: {name} has no # Safety section"
            );
        }
        assert!(
            doc.contains("#[unsafe(no_mangle)]"),
            "{file}: {name} is mangled"
        );
        assert!(
            name.starts_with("ims_"),
            "{file}: {name} lacks the ims_ prefix"
        );
    }
}
