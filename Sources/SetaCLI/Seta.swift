import ArgumentParser
import SetaModels

@main
struct Seta: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seta",
        abstract: "Continual learning of language models with sparse experts (SETA).",
        subcommands: [])
}
