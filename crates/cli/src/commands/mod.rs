//! One module per subcommand.

pub mod review;
