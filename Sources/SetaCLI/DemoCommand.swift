// seta demo: SETA and SeqLoRA side by side on the built-in 4-task stream.
import ArgumentParser
import Foundation
import SetaContinual
import SetaData
import SetaMetrics
import SetaReports

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run SETA and SeqLoRA on a built-in 4-task stream with the default model and compare them.",
        discussion: """
        The stream: four questions about the same lists of words, each answered with its own made-up label words \
        (see DemoStream in the library). Writes OUT/seta and OUT/seq-lora run folders.

        Example: seta demo --out runs/demo
        """)
    @OptionGroup var modelOptions: ModelOptions
    @Option(help: "Output folder (default runs/demo).") var out: String = "runs/demo"
    @Option(help: "Training examples per task.") var trainPerTask: Int = 100
    @Option(help: "Test examples per task.") var testPerTask: Int = 50
    @Option(help: "Seed.") var seed: UInt64 = 0
    @Option(name: .customLong("lr"), help: "AdamW learning rate.") var learningRate: Float = 2e-3
    @Option(help: "Epochs per task.") var epochs: Int = 3
    @OptionGroup var methodArguments: MethodArguments

    func run() throws {
        try reportingErrors {
            if Int(ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] ?? "1") ?? 1 > 1 {
                throw ValidationError("seta demo runs in one process; for data-parallel training run seta train "
                                      + "under mpirun")
            }
            try checkOption("train-per-task", trainPerTask, 1...100_000)   // generated examples: bounded
            try checkOption("test-per-task", testPerTask, 1...100_000)
            var options = TrainingOptions()
            // the stream is generated at size
            options.trainPerTask = nil; options.testPerTask = nil; options.seed = seed
            options.learningRate = learningRate
            options.epochs = epochs
            try options.validate()                          // before the model loads
            // The demo anchors harder than SETA.md's default (λ = 1): on this stream λ = 1 let the second task
            // drift by ~12 points while later tasks trained, λ = 10 kept every task (see README).
            var settings = methodArguments.settings()
            if settings["lambda"] == nil { settings["lambda"] = .float(10) }
            let methods = ["seta", "seq-lora"].compactMap(Methods.named)
            if let unread = settings.keys.sorted().first(where: { name in !methods.contains { $0.reads(name) } }) {
                throw ValidationError("--\(unread) is not an option of seta or seq-lora, the demo's two methods")
            }
            try Methods.validate(settings)
            let lm = try modelOptions.load()
            let tasks = DemoStream.tasks(seed: seed, trainPerTask: trainPerTask, testPerTask: testPerTask)
            var blocks: [String] = []
            for method in methods {
                // A previous demo in the same place is replaced (the demo is reproducible); anything else is kept.
                let folder = URL(fileURLWithPath: out).appendingPathComponent(method.name)
                if let previous = try? RunFolder.readDescription(folder), previous.benchmark == "demo" {
                    try FileManager.default.removeItem(at: folder)
                }
                let results = try trainRun(model: lm, modelName: modelOptions.model, method: method, settings: settings,
                                           tasks: tasks, options: options, benchmark: "demo", run: folder,
                                           label: "[\(method.name)] ")
                blocks.append(describe(results))
            }
            print(renderSideBySide(blocks[0], blocks[1]))
        }
    }
}
