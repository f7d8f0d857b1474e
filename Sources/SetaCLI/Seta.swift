// The `seta` command-line tool: subcommands share option groups (mlx-lm style).
import ArgumentParser
import Foundation
import SetaContinual
import SetaModels
import SetaTensor

@main
struct Seta: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seta",
        abstract: "Continual learning of language models with sparse experts (SETA), on your CPU.",
        discussion: """
        Models: a GGUF file, a Hugging Face folder (config.json + *.safetensors + tokenizer.json), or `default`
        (SmolLM2-135M-Instruct, fetched once into $SETA_CACHE, default ~/.cache/seta).

        Examples:
          seta model fetch
          seta generate --model default --prompt "The capital of France is"
          seta tokenize --model default --text "Hello world" --json

        Environment: SETA_THREADS=N uses N cores (default: all), e.g. 1 to run two jobs side by side on 2 cores;
        SETA_DATA is the benchmark data root; SETA_CACHE the model cache.
        """,
        subcommands: [Demo.self, Train.self, MethodsCommand.self, Predict.self, Bench.self, Inspect.self, Export.self,
                      Report.self, ModelCommand.self, Tokenize.self, Logits.self, Generate.self])
}

/// `--model`, shared by every command that runs a model.
struct ModelOptions: ParsableArguments {
    /// Optional so that `train --config` can tell a given `--model` from the default.
    @Option(name: .customLong("model"),
            help: ArgumentHelp("A .gguf file, a Hugging Face folder, or `default`. (default: default)",
                               valueName: "model"))
    var modelArgument: String?
    var model: String { modelArgument ?? "default" }

    @Option(name: .customLong("weights"), help: ArgumentHelp(
        "Precision of the frozen base weights: f32 (the reference) or bf16 (AVX-512 BF16 products with float32 "
        + "accumulation: ~2× the training and prompt speed, half the bytes per generated token; adapters stay f32). "
        + "On a CPU without AVX-512 BF16, bf16 falls back to f32 with a note. (default: f32)", valueName: "f32|bf16"))
    var weightsArgument: WeightPrecision?   // optional, as --model: train --config tells given from default
    var weights: WeightPrecision { weightsArgument ?? .f32 }

    func load(quiet: Bool = false) throws -> LanguageModel {
        let clock = ContinuousClock(), start = clock.now
        Parallelism.applyRequestedCores()   // SETA_THREADS for OpenBLAS too
        let lm = try LanguageModel.load(model) { message in if !quiet { standardError(message) } }
        if !quiet {
            let c = lm.config
            standardError("Loaded \(lm.source): \(c.modelType), \(c.layerCount) layers, d=\(c.hiddenSize), "
                          + "\(c.parameterCount / 1_000_000)M parameters in \(formatDuration(clock.now - start))")
        }
        if weights == .bf16 && !lm.network.useBF16Weights() && !quiet {
            standardError("note: this CPU has no AVX-512 BF16 (or SETA_BF16_FALLBACK is set): the weights stay float32")
        }
        return lm
    }
}

extension WeightPrecision: ExpressibleByArgument {}

func standardError(_ line: String) {
    FileHandle.standardError.write((line + "\n").data(using: .utf8)!)
}

func formatDuration(_ d: Duration) -> String {
    String(format: "%.2f s", d.inSeconds)
}

/// Prints a JSON object on one line with stable key order.
func printJSON(_ object: Any) throws {
    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    print(String(decoding: data, as: UTF8.self))
}

/// A command's own numeric option within what it allows (as the library's options declare theirs: OptionRanges.swift),
/// checked in run() before any model loads: a one-line error naming it, exit 1.
func checkOption(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws {
    try NumericOption<Int>.integer(name, \.self, range).check(value)
}

func checkOption(_ name: String, _ value: Float, atLeast lower: Double, atMost upper: Double) throws {
    try NumericOption<Float>.number(name, \.self, atLeast: lower, atMost: upper).check(value)
}

/// Runs `body`; a typed error becomes a one-paragraph message on stderr and exit code 1, never a stack trace.
func reportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let error as ExitCode { throw error } catch let error as CleanExit { throw error } catch {
        standardError("error: \(error)")
        throw ExitCode.failure
    }
}
