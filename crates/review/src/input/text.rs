//! Decoding of plain-text files.
