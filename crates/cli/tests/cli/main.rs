//! The `mingjing` binary as a user runs it, on real files: one test program, one module
//! per subcommand.

mod backup;
mod copy;
mod crash;
mod dataio;
mod helpers;
mod review;
mod scaling;
