//! A Code 128 reader for the tests: a row of pixels back to the value, as a scanner reads it —
//! bar and space widths measured, each symbol's six widths scaled to its 11 modules, looked up in
//! the symbology's table, the check character verified. Code set B only (what
//! `Barcode::code128` writes).

/// Symbols 0–105 as bar, space, bar, space, bar, space widths in modules (ISO/IEC 15417's
/// table; taken from barcoders' encodings, whose bits these are run lengths of).
const PATTERNS: [&str; 106] = [
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", //
    "132212", "221213", "221312", "231212", "112232", "122132", "122231", "113222", //
    "123122", "123221", "223211", "221132", "221231", "213212", "223112", "312131", //
    "311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321", //
    "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313", //
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", //
    "313121", "211331", "231131", "213113", "213311", "213131", "311123", "311321", //
    "331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224", //
    "111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114", //
    "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111", //
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", //
    "421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113", //
    "114311", "411113", "411311", "113141", "114131", "311141", "411131", "211412", //
    "211214", "211232",
];
const START_B: usize = 104;
/// The stop character with its final bar: 13 modules.
const STOP: &str = "2331112";

/// A symbol read from a row.
#[derive(Debug)]
pub(crate) struct Read {
    /// The value it encodes.
    pub value: String,
    /// The first bar's first pixel.
    pub left: usize,
    /// One past the last bar's last pixel.
    pub right: usize,
    /// Pixels a module takes, measured over the whole symbol.
    pub module_px: f64,
    /// Every bar's and space's width in pixels, start to stop.
    pub runs_px: Vec<usize>,
    /// The blank pixels before the first bar and after the last.
    pub quiet_px: (usize, usize),
}

/// `runs` (pixel widths) scaled so they add up to `modules`, or none when one is not a whole
/// number of modules from 1 to 4.
fn widths(runs: &[usize], modules: usize) -> Option<String> {
    let total: usize = runs.iter().sum();
    let module = total as f64 / modules as f64;
    let scaled: Vec<usize> = runs.iter().map(|r| (*r as f64 / module).round() as usize).collect();
    let valid = scaled.iter().all(|w| (1..=4).contains(w)) && scaled.iter().sum::<usize>() == modules;
    valid.then(|| scaled.iter().map(|w| char::from(b'0' + *w as u8)).collect())
}

/// The Code 128 symbol in a row of pixels (`true` is dark), if there is one that reads.
pub(crate) fn read(row: &[bool]) -> Option<Read> {
    // (dark, first pixel, width)
    let mut runs: Vec<(bool, usize, usize)> = Vec::new();
    for (x, &dark) in row.iter().enumerate() {
        match runs.last_mut() {
            Some((d, _, width)) if *d == dark => *width += 1,
            _ => runs.push((dark, x, 1)),
        }
    }
    (1..runs.len()).filter(|&i| runs[i].0).find_map(|i| read_from(&runs, i))
}

fn read_from(runs: &[(bool, usize, usize)], start: usize) -> Option<Read> {
    let px = |from: usize, count: usize| -> Option<Vec<usize>> {
        runs.get(from..from + count).map(|r| r.iter().map(|(_, _, w)| *w).collect())
    };
    if widths(&px(start, 6)?, 11)? != PATTERNS[START_B] {
        return None;
    }
    let mut values = Vec::new();
    let mut at = start + 6;
    loop {
        if px(at, 7).and_then(|r| widths(&r, 13)).as_deref() == Some(STOP) {
            break;
        }
        let symbol = widths(&px(at, 6)?, 11)?;
        values.push(PATTERNS.iter().position(|p| *p == symbol)?);
        at += 6;
    }
    let end = at + 7;
    let check = values.pop()?;
    let sum: usize = START_B + values.iter().enumerate().map(|(i, v)| (i + 1) * v).sum::<usize>();
    if sum % 103 != check {
        return None;
    }
    // Code set B: symbol value + 32 is the ASCII character; 95 and above switch sets.
    let value =
        values.iter().map(|v| (*v < 95).then(|| char::from(*v as u8 + 32))).collect::<Option<String>>()?;
    let runs_px = px(start, end - start)?;
    let (left, right) = (runs[start].1, runs[end - 1].1 + runs[end - 1].2);
    let module_px = (right - left) as f64 / (11 * (values.len() + 2) + 13) as f64;
    let quiet_before = runs[start - 1].2;
    let quiet_after = runs.get(end).map_or(0, |(_, _, w)| *w);
    Some(Read { value, left, right, module_px, runs_px, quiet_px: (quiet_before, quiet_after) })
}

#[test]
fn the_table_reads_barcoders_own_bits_for_every_printable_character() {
    for c in ' '..='~' {
        let barcode = ils_documents::Barcode::code128(&c.to_string()).unwrap();
        // Start, the character, the check character, the stop: a module a pixel.
        let row: Vec<bool> =
            [vec![false; 10], barcode.modules().to_vec(), vec![false; 10]].into_iter().flatten().collect();
        let read = read(&row).unwrap_or_else(|| panic!("{c:?} does not read"));
        assert_eq!(read.value, c.to_string());
    }
}
