// `seta inspect RUN` in the library: reads a run folder (run.json, the last checkpoint, results.json) and, for
// the gate's routing matrix, re-selects the test prompts the trainer evaluated — the same seeded subset, the
// same truncation and tokenisation (ContinualTrainer.prepare) — from wherever the run says its data is.
import Foundation
import SetaData
import SetaMetrics
import SetaModels

/// Why a run cannot be inspected; one paragraph each, naming the folder or file.
public enum InspectionError: Error, CustomStringConvertible, Equatable {
    case notARunFolder(path: String, detail: String)
    case noCheckpoint(path: String)
    case modelUnavailable(spec: String, detail: String)
    case checkpointUnreadable(path: String, detail: String)
    /// The test prompts cannot be rebuilt (only the routing matrix is left out).
    case noTestData(String)

    public var description: String {
        switch self {
        case let .notARunFolder(path, detail):
            return "\(path) is not a run folder: \(detail). `seta train --out RUN` and `seta demo` write RUN/run.json, "
                + "RUN/results.json and RUN/checkpoints/task-k/."
        case let .noCheckpoint(path):
            return "\(path) has no checkpoint yet: RUN/checkpoints/task-k/ is written at the end of each task, "
                + "so the run has not finished its first task (or its checkpoints folder was not copied)."
        case let .modelUnavailable(spec, detail):
            return "cannot load the run's base model \"\(spec)\" (from run.json): \(detail). "
                + "Pass --model to point at it."
        case let .checkpointUnreadable(path, detail):
            return "cannot restore the last checkpoint of \(path): \(detail)"
        case let .noTestData(why): return why
        }
    }
}

public struct InspectionOptions: Sendable {
    /// The base model; nil: run.json's spec.
    public var model: String?
    /// Compute the gate's routing matrix (reads the task data).
    public var routing = true
    /// Root of the named benchmarks' data; nil: `Benchmark.defaultDataRoot()`.
    public var dataRoot: URL?
    /// The task folder of a `--data DIR` run (run.json does not record it).
    public var dataFolder: URL?
    public init(model: String? = nil, routing: Bool = true, dataRoot: URL? = nil, dataFolder: URL? = nil) {
        self.model = model; self.routing = routing; self.dataRoot = dataRoot; self.dataFolder = dataFolder
    }
}

extension RunInspection {
    /// Test prompts per task of the demo: `seta demo`'s default (the count is not recorded in the run).
    static let demoTestPerTask = 50

    /// Inspects the run folder `run`: restores its last checkpoint and, if asked and possible, routes its test prompts.
    public static func inspect(run: URL, options: InspectionOptions = InspectionOptions()) throws -> RunInspection {
        let description: RunDescription
        do { description = try RunFolder.readDescription(run) } catch {
            let exists = FileManager.default.fileExists(atPath: run.path)
            throw InspectionError.notARunFolder(
                path: run.path, detail: exists ? "its run.json is missing or unreadable (\(error))" : "no such folder")
        }
        guard let lastFolder = RunFolder.lastCheckpoint(run),
              let last = RunFolder.completedTask(ofCheckpoint: lastFolder) else {
            throw InspectionError.noCheckpoint(path: run.path)
        }
        let spec = options.model ?? description.model
        let model: LanguageModel
        do { model = try description.loadModel(spec) } catch {
            throw InspectionError.modelUnavailable(spec: spec, detail: "\(error)")
        }
        let strategy: ContinualStrategy
        do { strategy = try RunFolder.restoreStrategy(run, description: description, model: model) } catch {
            throw InspectionError.checkpointUnreadable(path: lastFolder.path,
                                                       detail: "\(error)")
        }
        let results = try? RunResults.read(from: run.appendingPathComponent("results.json"))
        var notes: [String] = []
        if last + 1 < description.tasks.count && !strategy.trainsJointly {
            notes.append("the run stopped or is still training: its last checkpoint is after task \(last + 1) "
                         + "of \(description.tasks.count)")
        }
        var prompts: InspectionPrompts?
        if let gated = strategy as? GatedStrategy {
            if !options.routing {
                notes.append("routing matrix skipped (--no-routing)")
            } else {
                do {
                    prompts = try testPrompts(description: description, results: results, gateCounts: gated.gate.counts,
                                              model: model, options: options)
                } catch {
                    notes.append("routing matrix not computed: \(error)")
                }
            }
        }
        return RunInspection(strategy: strategy, description: description,
                             tasksCompleted: strategy.trainsJointly ? description.tasks.count : last + 1, model: model,
                             testPrompts: prompts, recordedRoutingAccuracy: results?.routingAccuracy, notes: notes)
    }

    /// The test prompts of every task of the run's stream, as the trainer prepared them.
    static func testPrompts(description d: RunDescription, results: RunResults?, gateCounts: [Int],
                            model: LanguageModel, options: InspectionOptions) throws -> InspectionPrompts {
        var training = TrainingOptions()
        training.seed = d.seed
        var recorded = false
        if case let .object(o)? = results?.config["training"] {
            recorded = true
            // A nil count (the whole test set) is left out of results.json, not written as null.
            if case let .number(n)? = o["test_per_task"] {
                training.testPerTask = Int(n)
            } else {
                training.testPerTask = nil
            }
            if case let .number(n)? = o["max_prompt_tokens"] { training.maxPromptTokens = Int(n) }
        }
        let subset = "\(training.testPerTask.map { "a seeded subset of \($0) (seed \(d.seed))" } ?? "all of it"), "
            + "prompts cut to \(training.maxPromptTokens) tokens "
            + (recorded ? "(sizes from results.json)"
                        : "(results.json is missing: default sizes, which may not be the run's)")
        let stream: [TaskData], source: String
        switch d.benchmark {
        case "demo"?:
            // The demo draws training then test words from one generator: the training count (every task's gate
            // statistics count it) fixes where the test words start; a smaller test count gives a prefix.
            guard let trainCount = gateCounts.first else {
                throw InspectionError.noTestData("the gate has no task yet")
            }
            let testCount = (recorded ? training.testPerTask : nil) ?? demoTestPerTask
            stream = DemoStream.tasks(seed: d.seed, trainPerTask: trainCount, testPerTask: testCount)
            training.testPerTask = nil
            source = "the demo stream regenerated from seed \(d.seed): \(trainCount) training words per task "
                + "(the gate's counts), \(testCount) test prompts per task (seta demo's default; "
                + "--test-per-task is not recorded in the run)"
        case let name?:
            guard let root = options.dataRoot ?? Benchmark.defaultDataRoot() else {
                throw InspectionError.noTestData("no data root for benchmark \(name): "
                                                 + "pass --data-root or set SETA_DATA")
            }
            do { stream = try Benchmark.named(name).load(dataRoot: root) } catch {
                throw InspectionError.noTestData("benchmark \(name)'s data is not readable "
                                                 + "under \(root.path): \(error)")
            }
            source = "the test examples the trainer evaluated: from each task's test set under \(root.path), \(subset)"
        case nil:
            guard let folder = options.dataFolder else {
                throw InspectionError.noTestData("run.json records no benchmark (a --data run) "
                                                 + "and not its data folder: pass --data DIR")
            }
            do { stream = try TaskStream.load(dataDir: folder, tasks: d.tasks) } catch {
                throw InspectionError.noTestData("the run's tasks are not readable in \(folder.path): \(error)")
            }
            source = "the test examples the trainer evaluated: from each task's test set in \(folder.path), \(subset)"
        }
        guard stream.map(\.name) == d.tasks else {
            throw InspectionError.noTestData("the data's tasks (\(stream.map(\.name).joined(separator: ", "))) "
                                             + "are not the run's (\(d.tasks.joined(separator: ", ")))")
        }
        let prompts = stream.enumerated().map { i, task -> [[Int]] in
            var testOnly = task
            testOnly.train = []          // only the test split is needed; its selection does not depend on train
            return ContinualTrainer.prepare(testOnly, model: model, options: training, salt: UInt64(i))
                .test.map(\.promptIds)
        }
        return InspectionPrompts(prompts: prompts, source: source)
    }
}
