/// The entry point: answers `qcpu --version` before argument parsing, which reflects on every
/// option of the command it parses (most of the start time of a static qcpu), then runs ``QCPU``.
@main
enum Main {
    static func main() async {
        let arguments = CommandLine.arguments.dropFirst()
        if arguments.count == 1, arguments.first == "--version" {
            print(QCPU.version)
            return
        }
        await QCPU.main()
    }
}
