//! `b2c`: the command-line tool. See `b2c --help`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(b2c::cli::main(args));
}
