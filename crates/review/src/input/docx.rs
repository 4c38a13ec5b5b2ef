//! Paragraph text from a `.docx`.
