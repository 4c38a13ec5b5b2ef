//! Fuzzes the roster reader: any bytes, as a `.csv` and as an `.xlsx`, must give rows or a message, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mingjing_roster::read;

fuzz_target!(|data: &[u8]| {
    for name in ["x.csv", "x.xlsx"] {
        if let Ok(roster) = read(name, data) {
            assert!(roster.rows.len() <= mingjing_roster::MAX_ROWS);
            for row in &roster.rows {
                assert!(row.line > 0);
                if let Some(id) = &row.id_number {
                    let _ = mingjing_roster::mask(id);
                }
            }
        }
    }
});
