fn main() -> std::process::ExitCode {
    socius::cli::main()
}
