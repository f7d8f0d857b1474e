// seta train | predict (demo: DemoCommand.swift)
import ArgumentParser
import Foundation
import SetaContinual
import SetaData
import SetaDistributed
import SetaExperts
import SetaMetrics
import SetaModels
import SetaReports
import SetaTensor

/// Training hyper-parameters shared by `train` and `demo`.
struct TrainingArguments: ParsableArguments {
    @Option(help: "Training examples per task (a seeded subset of train.json).") var trainPerTask: Int?
    @Option(help: "Test examples per task.") var testPerTask: Int?
    @Option(help: "Epochs per task.") var epochs: Int?
    @Option(help: "Batch size.") var batchSize: Int?
    @Option(help: "Examples per forward pass inside a batch, grouped by length (less padding; same loss). Default 2.")
    var rowsPerForward: Int?
    @Option(help: "Prompts decoded together at evaluation (grouped by length). Default 8.") var evalBatchSize: Int?
    @Option(help: ArgumentHelp("Tasks scored after each task: all (the whole accuracy matrix, the default) "
                               + "or seen (the tasks seen so far and the next: every cell AA, BWT, FWT and "
                               + "forgetting use; the rest stays null; 40% less evaluation on a 15-task stream).",
                               valueName: "all|seen"))
    var evalTasks: EvaluatedTasks?
    @Option(name: .customLong("lr"), help: "AdamW learning rate.") var learningRate: Float?
    @Option(help: "Prompt limit in tokens (the input part is truncated, never the answer).") var maxPromptTokens: Int?
    @Option(help: .init(Methods.help("targets"), valueName: "q,v,…|all")) var targets: String?
    @Option(help: "The one seed of the run (data selection, order, initialisation). (default: 0)") var seed: UInt64?

    func options(defaults: TrainingOptions = TrainingOptions()) -> TrainingOptions {
        var o = defaults
        if let trainPerTask { o.trainPerTask = trainPerTask }
        if let testPerTask { o.testPerTask = testPerTask }
        if let epochs { o.epochs = epochs }
        if let batchSize { o.batchSize = batchSize }
        if let rowsPerForward { o.rowsPerForward = rowsPerForward }
        if let evalBatchSize { o.evalBatchSize = evalBatchSize }
        if let evalTasks { o.evaluatedTasks = evalTasks == .all ? nil : evalTasks }
        if let learningRate { o.learningRate = learningRate }
        if let maxPromptTokens { o.maxPromptTokens = maxPromptTokens }
        if let seed { o.seed = seed }
        return o
    }
}

/// Runs one method over a stream into `run`, writing run.json, results.json, timings.json, log.jsonl and
/// checkpoints. With `resume`, a run folder that already holds this run continues after its last checkpoint.
func trainRun(model lm: LanguageModel, modelName: String, method: ContinualMethod, settings: [String: OptionValue],
              tasks: [TaskData], options: TrainingOptions, benchmark: String?, run: URL, label: String,
              exportPeer: URL? = nil, resume: Bool = false, config: String? = nil,
              communicator: Communicator = SingleProcess()) throws -> RunResults {
    let root = communicator.rank == 0                    // rank 0 alone prints progress and writes the run folder
    let description = RunDescription(model: modelName, method: method.name, tasks: tasks.map(\.name),
                                     benchmark: benchmark, seed: options.seed,
                                     weights: lm.network.weightPrecision)
    signal(SIGXFSZ, SIG_IGN)             // over a file-size limit a write fails with an error instead of killing us
    var strategy = try method.make(settings)
    // --init-adapters: read and checked before anything is written.
    try strategy.loadInitialState(taskNames: tasks.map(\.name), model: lm)
    if communicator.size > 1, exportPeer != nil {
        throw ValidationError("--export-peer records a one-process run: run it without mpirun")
    }
    let continuation = try RunFolder.open(run, for: description, resume: resume, recordsWholeRun: exportPeer != nil,
                                          options: options, strategy: strategy, model: lm, config: config,
                                          communicator: communicator)
    if let continuation {
        strategy = continuation.strategy
        if root {
            standardError("\(label)resuming after task \(continuation.point.completedTask + 1) of \(tasks.count)")
        }
    }
    let trainer = ContinualTrainer(model: lm, strategy: strategy, tasks: tasks, options: options,
                                   modelName: modelName, benchmark: benchmark)
    trainer.zeroShotCache = ZeroShotStore.cache(for: lm)
    trainer.communicator = communicator
    let export = try exportPeer.map { try PeerExport(folder: $0, trainer: trainer) }
    Interruption.install()
    trainer.shouldStop = { Interruption.isRequested }
    let log = root ? RunLog(run: run) : nil, printer = ProgressPrinter(prefix: label)
    if communicator.size > 1 { log?.record("data_parallel", ["ranks": communicator.size]) }
    let results: RunResults
    do {
        results = try trainer.run(checkpoints: root ? RunFolder.checkpoints(run) : nil,
                                  resume: continuation?.point) { p in
            if root { log?.record(p); printer(p) }
        }
    } catch TrainingError.interrupted(let completed) {
        log?.record("interrupted", ["completed_tasks": completed])
        if root { standardError("""
            \(label)interrupted: \(completed) of \(tasks.count) tasks completed and checkpointed \
            in \(run.path)/checkpoints. \
            Continue with the same command plus --resume.
            """) }
        throw ExitCode(130)
    }
    guard root else { return results }
    try export?.finish()
    try results.write(to: run.appendingPathComponent("results.json"))
    try RunFolder.writeTimings(trainer.timings, to: run)
    log?.record("finished", ["aa": results.metrics.aa])
    return results
}

func describe(_ r: RunResults) -> String {
    let matrix = try? AccuracyMatrix(rows: r.matrix, zeroShot: r.zeroShot)
    var text = matrix.map { renderMatrix($0, tasks: r.tasks, title: r.method) } ?? ""
    if let routing = r.routingAccuracy { text += String(format: "\nrouting accuracy %.1f%%", routing) }
    if let p = r.params, let last = p.storedAfterTask.last, let eq = p.independentEquivalent.last {
        text += String(format: "\nstored parameters %d (%.0f%% of independent experts)",
                       last, 100 * Double(last) / Double(max(eq, 1)))
    }
    return text
}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a method on a task stream; evaluate every task after every task (the accuracy matrix).",
        discussion: """
        Examples:
          seta train --method seta --out runs/cl1-seta --benchmark cl:order1
          seta train --method seq-lora --out runs/mine \\
              --data my-tasks --tasks first,second --train-per-task 100

        Writes RUN/run.json, RUN/config.yaml, RUN/results.json, RUN/timings.json, RUN/log.jsonl and \
        RUN/checkpoints/task-k/. Ctrl-C stops after the current step; the same command plus --resume continues \
        after the last completed task and gives exactly the results of an uninterrupted run.

        Every option can also come from a YAML file (keys: the long option names, \
        kebab-case or snake_case); the command line wins over the file, the file \
        over the defaults:
          seta train --config run.yaml --epochs 3
        run.yaml:
          method: seta
          out: runs/cl1-seta
          benchmark: cl:order1    # or  data: my-tasks  and  tasks: [first, second]
          train-per-task: 250
          lr: 0.0005
          seed: 1
        RUN/config.yaml records every option's final value and its origin
        (command line, file or default); --config reads it back.
        Benchmarks: \(Benchmark.all.map(\.name).joined(separator: ", ")) \
        (data root: --data-root, $SETA_DATA or ../shared/data).
        """)
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "A YAML file of train options (see above); the command line wins over it.") var config: String?
    @Option(help: MethodName.help) var method: MethodName?
    @Option(help: "Run folder to create.") var out: String?
    @Option(help: "A named benchmark, e.g. cl:order1.") var benchmark: String?
    @Option(help: "Root of the benchmark data (default $SETA_DATA or ../shared/data).") var dataRoot: String?
    @Option(help: "A folder with one sub-folder per task.") var data: String?
    @Option(help: "Task folders under --data, in stream order, comma-separated.") var tasks: String?
    @OptionGroup var training: TrainingArguments
    @OptionGroup var methodArguments: MethodArguments
    @Option(help: ArgumentHelp("Also write what a peer framework needs to replay this run exactly (seq-lora): "
                               + "examples in batch order, LoRA initialisation, step losses. See benchmarks/peers/."))
    var exportPeer: String?
    @Flag(help: ArgumentHelp("Continue the run in --out after its last completed task (same command and options); "
                             + "an empty or new folder starts the run."))
    var resume = false
    @Option(help: ArgumentHelp("Several seeds, comma-separated (e.g. 0,1,2): one run per seed, into OUT/seed-S, "
                               + "the options otherwise the same; `seta report OUT` gives mean ± sd. "
                               + "Not with --seed."))
    var seeds: String?

    /// The method options given (command line or --config), `--targets` among them.
    var methodSettings: [String: OptionValue] {
        var settings = methodArguments.settings()
        if let targets = training.targets { settings["targets"] = .text(targets) }
        return settings
    }

    /// --benchmark, --data and --out may come from --config: checked after merging it (ConfigFile.swift). A file
    /// that does not read or check is not a usage error: run() reports it.
    func validate() throws {
        var merged = self
        if (try? merged.mergeConfigFile(quiet: true)) != nil { try merged.validateMerged() }
    }

    func run() throws {
        try reportingErrors { try DataParallel.start() }
        try DataParallel.run { try runRanks() }
    }

    /// The command, on every rank of an mpirun job (or in the one process).
    private func runRanks() throws {
        var merged = self, sources: [String: String] = [:]
        try reportingErrors { sources = try merged.mergeConfigFile() }
        // An option the method does not read, given on the command line, is ignored: say so (a file's is not: a
        // run's config.yaml lists every option, marked "unused by" the others).
        let method = (merged.method ?? .seta).method
        for name in merged.methodSettings.keys.sorted() where sources[name] == "command line" && !method.reads(name) {
            if DataParallel.isRoot { standardError("warning: --\(name) is not an option of \(method.name); ignored") }
        }
        guard let seeds = try merged.seedList() else {
            return try merged.train(config: merged.resolvedConfigYAML(sources: sources))
        }
        for seed in seeds {                                      // one run per seed, each a complete run folder
            var one = merged
            one.seeds = nil
            one.training.seed = seed
            one.out = URL(fileURLWithPath: merged.out!).appendingPathComponent("seed-\(seed)").path
            var origin = sources
            origin["seed"] = "--seeds"
            try one.train(config: one.resolvedConfigYAML(sources: origin))
        }
    }

    /// --seeds as numbers (nil without it); an error with --seed, or for a value that is not a seed.
    func seedList() throws -> [UInt64]? {
        guard let seeds else { return nil }
        guard training.seed == nil else {
            throw ValidationError("give --seed S (one run) or --seeds 0,1,2 (a run per seed), not both")
        }
        let list = seeds.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = list.compactMap { UInt64($0) }
        guard !list.isEmpty, values.count == list.count, Set(values).count == values.count else {
            throw ValidationError("--seeds must be distinct non-negative integers separated by commas, got \(seeds)")
        }
        return values
    }

    private func train(config: String) throws {
        let method = (self.method ?? .seta).method
        try reportingErrors {
            // Every option within what it allows before anything loads (data, model) or is written.
            try training.options().validate()
            try Methods.validate(methodSettings)
            let stream: [TaskData]
            if let benchmark {
                guard let root = dataRoot.map({ URL(fileURLWithPath: $0) }) ?? Benchmark.defaultDataRoot() else {
                    throw ValidationError("no data root: pass --data-root or set SETA_DATA")
                }
                stream = try Benchmark.named(benchmark).load(dataRoot: root)
            } else {
                stream = try TaskStream.load(dataDir: URL(fileURLWithPath: data!),
                                             tasks: tasks!.split(separator: ",").map(String.init))
            }
            let lm = try modelOptions.load(quiet: !DataParallel.isRoot)
            let results = try trainRun(model: lm, modelName: modelOptions.model, method: method,
                                       settings: methodSettings, tasks: stream, options: training.options(),
                                       benchmark: benchmark, run: URL(fileURLWithPath: out!),
                                       label: "[\(method.name)] ",
                                       exportPeer: exportPeer.map { URL(fileURLWithPath: $0) }, resume: resume,
                                       config: config, communicator: DataParallel.communicator)
            if DataParallel.isRoot { print(describe(results)) }
        }
    }
}

struct Predict: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Answer a prompt with a trained run; the gate picks the expert (no task id).",
        discussion: "Example: seta predict --run runs/demo/seta --input \"What kind of thing is the first word?"
            + "\\nOption: zib, mok, tal\\ncat, bread, blue, horse\\nAnswer:\"")
    @Option(name: .customLong("run"), help: "A run folder written by train or demo.")
    var runFolder: String
    @Option(help: "The whole prompt, as a user would type it.") var input: String
    @Option(name: .long, help: "Most new tokens.") var maxTokens: Int = 64
    @Flag(help: "Print {\"output\", \"gate\", \"expert\"}.") var json = false

    func run() throws {
        try reportingErrors {
            try checkOption("max-tokens", maxTokens, 1...1_000_000)
            guard !input.isEmpty else { throw ValidationError("the input is empty") }
            let folder = URL(fileURLWithPath: runFolder)
            let description = try RunFolder.readDescription(folder)
            let lm = try description.loadModel()   // a bf16 run answers with bf16 weights, as it was evaluated
            let strategy = try RunFolder.restoreStrategy(folder, description: description, model: lm)
            let ids = lm.encode(input)
            let expert = strategy.route(prompts: [ids], model: lm)?.first
            var gate: [String: Double] = [:]
            if let gated = strategy as? GatedStrategy {
                for (t, w) in gated.routing.weights.first?.enumerated() ?? [].enumerated() {
                    gate[description.tasks[t]] = Double(w)
                }
            }
            let output = lm.greedyBatch([ids], maxNewTokens: maxTokens, textBeforeNewline: true)[0]
            let text = lm.tokenizer.decode(output).trimmingCharacters(in: .whitespaces)
            if json {
                try printJSON(["output": text, "gate": gate,
                               "expert": expert.map { description.tasks[$0] } as Any? ?? NSNull()])
            } else {
                print(text)
                if let expert { standardError("expert: \(description.tasks[expert])") }
            }
        }
    }
}

extension EvaluatedTasks: ExpressibleByArgument {}
