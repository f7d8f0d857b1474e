// seta methods: the registry of methods (SetaContinual/Methods) as people read it — every method with its summary,
// and every option with the methods that read it, its defaults and what it allows. `--markdown` prints the tables
// the README holds (a test checks the README's copy is this output).
import ArgumentParser
import SetaContinual

struct MethodsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "methods",
        abstract: "List the methods `train --method` accepts and their options, with defaults and allowed values.",
        discussion: "Example: seta methods --method seta")
    @Option(help: .init("Only this method.", valueName: "name")) var method: MethodName?
    @Flag(help: "Markdown tables (as in the README).") var markdown = false

    func run() throws {
        let methods = method.map { [$0.method] } ?? Methods.all
        print(markdown ? Self.markdown(methods) : Self.text(methods), terminator: "")
    }

    /// One block per method: its summary, then one line per option (name, default, allowed, help).
    static func text(_ methods: [ContinualMethod]) -> String {
        var out = ""
        for m in methods {
            out += "\(m.name) — \(m.summary)\n"
            let width = (m.options.map(\.name.count).max() ?? 0) + 2
            for o in m.options {
                let name = ("--" + o.name).padding(toLength: width + 2, withPad: " ", startingAt: 0)
                out += "  \(name) default \(o.defaultValue?.description ?? "none"); \(o.allowed)\n"
                out += "  " + String(repeating: " ", count: width + 2) + " \(o.help)\n"
            }
            out += "\n"
        }
        return out
    }

    /// The methods table and the options table of the README.
    static func markdown(_ methods: [ContinualMethod]) -> String {
        func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
        var out = "| `--method` | what it is | options |\n|---|---|---|\n"
        for m in methods {
            out += "| `\(m.name)` | \(cell(m.summary)) | "
                + "\(m.options.map { "`--\($0.name)`" }.joined(separator: " ")) |\n"
        }
        out += "\n| option | what it sets | default | allowed |\n|---|---|---|---|\n"
        let names = methods.map(\.name)
        for o in Methods.options where Methods.defaults(of: o.name).contains(where: { names.contains($0.method) }) {
            let shown = Methods.shownDefault(of: o.name, among: names)
            out += "| `--\(o.name)` | \(cell(o.help)) | \(cell(shown)) | \(cell(o.allowed)) |\n"
        }
        return out
    }
}
