//! The house keeps its floors: each top-level module of the core imports
//! only modules on lower floors (docs/contributing/architecture.md). Read
//! from the sources, test modules left out (a test may build anything).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// Every top-level module and its floor; a module may name only modules on
/// lower floors (and itself). Two on one floor know nothing of each other.
const FLOORS: &[(&str, u32)] = &[
    ("text", 0),
    ("time", 0),
    ("stats", 0),
    ("error", 1),
    ("options", 2),
    ("genesys", 3),
    ("observe", 3),
    ("http", 4),
    ("session", 5),
    ("close", 6),
    ("native", 6),
    ("guest", 6),
    ("bulk", 7),
    ("diagnose", 7),
    ("discover", 8),
    ("sweep", 9),
    ("watch", 9),
    ("client", 10),
];

fn floor(module: &str) -> Option<u32> {
    FLOORS.iter().find(|(m, _)| *m == module).map(|(_, f)| *f)
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comments and without `#[cfg(test)]` items.
fn code_outside_tests(text: &str) -> String {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect();
    let mut out = String::new();
    let mut i = 0;
    while i < lines.len() {
        if lines[i].trim() == "#[cfg(test)]" {
            // Skip the item that follows: `mod tests;` or a braced block.
            let mut depth = 0i32;
            let mut opened = false;
            i += 1;
            while i < lines.len() {
                let l = lines[i];
                if !opened && l.trim_end().ends_with(';') && !l.contains('{') {
                    break;
                }
                for c in l.chars() {
                    match c {
                        '{' => {
                            depth += 1;
                            opened = true;
                        }
                        '}' => depth -= 1,
                        _ => {}
                    }
                }
                if opened && depth == 0 {
                    break;
                }
                i += 1;
            }
        } else {
            out.push_str(lines[i]);
            out.push('\n');
        }
        i += 1;
    }
    out
}

/// The top-level modules a piece of code names with `crate::`.
fn named(code: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().last();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let m: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                out.insert(m);
            }
        } else {
            let m: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            out.insert(m);
        }
    }
    out
}

#[test]
fn each_module_imports_only_lower_floors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&root, &mut files);
    let mut wrong = Vec::new();
    let mut seen = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&root).unwrap();
        let top = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = top.trim_end_matches(".rs").to_string();
        if module == "lib" {
            continue;
        }
        let Some(own) = floor(&module) else {
            wrong.push(format!(
                "{}: module {module} has no floor in FLOORS",
                rel.display()
            ));
            continue;
        };
        seen.insert(module.clone());
        let code = code_outside_tests(&fs::read_to_string(file).unwrap());
        for other in named(&code) {
            if other == module || other.is_empty() {
                continue;
            }
            match floor(&other) {
                Some(f) if f < own => {}
                // Re-exports of the crate root (`crate::Error`, ...).
                None if other.chars().next().is_some_and(char::is_uppercase) => {}
                _ => wrong.push(format!(
                    "{}: {module} (floor {own}) names {other} ({:?})",
                    rel.display(),
                    floor(&other)
                )),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the floors:\n{}",
        wrong.join("\n")
    );
    let listed: BTreeSet<String> = FLOORS.iter().map(|(m, _)| m.to_string()).collect();
    assert_eq!(seen, listed, "FLOORS and the modules of src/ differ");
}

#[test]
fn the_reader_sees_through_comments_groups_and_tests() {
    let code = code_outside_tests(
        "use crate::error::Error; // crate::watch\nuse crate::{text, time::x};\n#[cfg(test)]\nmod tests {\n    use crate::client::Client;\n}\n",
    );
    let found: Vec<String> = named(&code).into_iter().collect();
    assert_eq!(found, ["error", "text", "time"]);
}
