//! `b2c-sandbox`: a strict offline B2COPY emulator on 127.0.0.1 (see `--help`).

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    std::process::exit(b2c_sandbox::cli_main(args));
}
