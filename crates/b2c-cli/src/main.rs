//! `b2c`: the command-line tool. See `b2c --help`.

mod args;
mod cli;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(cli::main(args));
}
