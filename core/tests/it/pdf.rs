//! PDFs as a reader sees them: poppler's `pdftotext`, `pdftoppm` and `pdffonts` (installed by
//! scripts/test; outside CI, checks say they are skipped when poppler is missing).

use std::path::Path;
use std::process::Command;

/// What a PDF holds as `pdftotext` reads it, after checking that every page renders and every
/// font is embedded; `None` when poppler is not installed (outside CI).
pub fn read_pdf(pdf: &[u8], name: &str) -> Option<String> {
    let have = |tool: &str| Command::new(tool).arg("-v").output().is_ok();
    if !(have("pdftotext") && have("pdftoppm") && have("pdffonts")) {
        assert!(
            std::env::var("CI").is_err(),
            "CI=true but poppler-utils is missing (scripts/test installs it)"
        );
        eprintln!("poppler-utils not installed: the PDF checks of {name} are skipped");
        return None;
    }
    let dir = tempfile::tempdir().expect("scratch");
    let file = dir.path().join(format!("{name}.pdf"));
    std::fs::write(&file, pdf).expect("pdf");
    let run = |tool: &str, args: &[&str]| {
        let out = Command::new(tool).args(args).output().expect(tool);
        assert!(out.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let path = file.to_str().expect("path");
    let text = run("pdftotext", &["-layout", path, "-"]);
    let pages = text.matches('\x0c').count();
    assert!(pages >= 1, "{name}: no pages");
    let prefix = dir.path().join("page");
    run("pdftoppm", &["-png", "-r", "40", path, prefix.to_str().expect("path")]);
    let rendered = std::fs::read_dir(dir.path())
        .expect("pages")
        .filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".png")))
        .count();
    assert_eq!(rendered, pages, "{name}: pdftoppm renders every page");
    // pdffonts: two header lines, then a line per font whose `emb` column says yes.
    let fonts = run("pdffonts", &[path]);
    let fonts: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!fonts.is_empty(), "{name} names no fonts");
    for font in fonts {
        let columns: Vec<&str> = font.split_whitespace().collect();
        assert!(
            columns.len() >= 5 && columns[columns.len() - 5] == "yes",
            "{name}: font not embedded: {font}"
        );
    }
    if let Ok(keep) = std::env::var("ILS_REPORT_PAGES") {
        let keep = Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace").join(keep);
        std::fs::create_dir_all(&keep).expect("pages folder");
        let out = keep.join(name);
        run(
            "pdftoppm",
            &["-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", path, out.to_str().expect("path")],
        );
    }
    Some(text)
}
