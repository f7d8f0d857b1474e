// seta export: a task's effective LoRA from a trained run, as a PEFT adapter folder (adapter_config.json +
// adapter_model.safetensors) that PyTorch + PEFT load with PeftModel.from_pretrained.
import ArgumentParser
import Foundation
import SetaContinual
import SetaExperts
import SetaModels

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a task's adapter from a trained run as a PEFT LoRA "
            + "(adapter_config.json + adapter_model.safetensors).",
        discussion: """
        Restores the run's last checkpoint (or RUN/checkpoints/task-K/ with --after-task K) and writes one plain LoRA \
        per adapted projection that computes what the run computes for the task's inputs: SETA's shared blocks (the \
        task's split blocks replaced by its own copies) with the task's unique expert, as the gate's oracle route to \
        the task; the sum of every task's LoRA for inc-lora and olora; the one LoRA for seq-lora, ewc and replay. The \
        pieces are stacked along the rank axis, so r is their total rank and lora_alpha = scale · r.

        Examples:
          seta export --run runs/demo/seta --task kind --peft exports/kind
          seta export --run runs/cl1-seta --task dbpedia --after-task 0 --peft out/db0
          seta logits --model default --peft exports/kind --ids 1,2,3 --json
        and in Python (peft):
          model = PeftModel.from_pretrained(base_model, "exports/kind")
        """)
    @Option(name: .customLong("run"), help: "A run folder written by `seta train` or `seta demo`.")
    var runFolder: String
    @Option(help: "The task whose adapter to export (a name from the run's task list).") var task: String
    @Option(help: ArgumentHelp("Output folder (created if missing; existing adapter files are replaced).",
                               valueName: "dir"))
    var peft: String
    @Option(help: ArgumentHelp("Export from RUN/checkpoints/task-K/ (K from 0: 0 is after the first task) "
                                   + "instead of the last checkpoint.",
                               valueName: "K"))
    var afterTask: Int?
    @Option(help: "The base model, when run.json's model does not resolve from here.") var model: String?

    func run() throws {
        try reportingErrors {
            if let afterTask { try checkOption("after-task", afterTask, 0...Int(Int32.max)) }
            let restored = try RestoredRun(run: runFolder, afterTask: afterTask, model: model)
            let t = try restored.trainedTask(named: task)
            guard let exporter = restored.strategy as? ExportsTaskLoRA else {
                throw ValidationError("\(restored.description.method) runs cannot be exported as a PEFT LoRA yet")
            }
            var adapter = try exporter.effectiveLoRA(task: t)
            adapter.baseModel = (try? ModelCache.resolve(restored.modelSpec).path) ?? restored.modelSpec
            let folder = URL(fileURLWithPath: peft)
            try adapter.write(to: folder)
            print("wrote \(folder.appendingPathComponent(PEFTAdapter.configFile).path) and \(PEFTAdapter.weightsFile): "
                  + "task \(task) of \(runFolder) (\(restored.description.method), "
                  + "checkpoint task-\(restored.completedTask)), "
                  + "LoRA r=\(adapter.rank) lora_alpha=\(String(format: "%g", adapter.alpha)) "
                  + "on \(adapter.modules.count) modules "
                  + "(\(adapter.targetModules.joined(separator: ", ")))")
        }
    }
}

/// A run's strategy restored from one of its checkpoints on its base model (for export and `logits --run`).
struct RestoredRun {
    let description: RunDescription
    let modelSpec: String
    let model: LanguageModel
    let strategy: ContinualStrategy
    /// The checkpoint's task index (RUN/checkpoints/task-K): tasks 0 … K are trained.
    let completedTask: Int

    init(run: String, afterTask: Int?, model spec: String?) throws {
        let folder = URL(fileURLWithPath: run)
        do { description = try RunFolder.readDescription(folder) } catch {
            let exists = FileManager.default.fileExists(atPath: folder.path)
            throw InspectionError.notARunFolder(
                path: run, detail: exists ? "its run.json is missing or unreadable (\(error))" : "no such folder")
        }
        let checkpoint: URL
        if let afterTask {
            checkpoint = RunFolder.checkpoint(afterTask: afterTask, in: RunFolder.checkpoints(folder))
            guard FileManager.default.fileExists(atPath: checkpoint.path) else {
                let saved = RunFolder.checkpointedTasks(folder)
                throw ValidationError("--after-task \(afterTask): \(checkpoint.path) does not exist; "
                                      + "the run's checkpoints are "
                                      + (saved.isEmpty ? "none yet"
                                                       : saved.map { "task-\($0)" }.joined(separator: ", "))
                                      + " (K counts from 0: task-0 is after the first task)")
            }
        } else {
            guard let last = RunFolder.lastCheckpoint(folder) else { throw InspectionError.noCheckpoint(path: run) }
            checkpoint = last
        }
        completedTask = RunFolder.completedTask(ofCheckpoint: checkpoint) ?? 0
        modelSpec = spec ?? description.model
        do { model = try description.loadModel(modelSpec) } catch {
            throw InspectionError.modelUnavailable(spec: modelSpec, detail: "\(error)")
        }
        do {
            strategy = try RunFolder.restoreStrategy(checkpoint: checkpoint, run: folder, description: description,
                                                     model: model)
        } catch { throw InspectionError.checkpointUnreadable(path: checkpoint.path, detail: "\(error)") }
    }

    /// The index of task `name` in the run, which the checkpoint must have trained.
    func trainedTask(named name: String) throws -> Int {
        let tasks = description.tasks
        guard let t = tasks.firstIndex(of: name) else {
            throw ValidationError("the run has no task \"\(name)\"; its tasks are: \(tasks.joined(separator: ", "))")
        }
        guard t <= completedTask else {
            throw ValidationError("task \(name) (task \(t + 1) of the stream) "
                                  + "was not trained by checkpoint task-\(completedTask); "
                                  + "trained: \(tasks.prefix(completedTask + 1).joined(separator: ", "))")
        }
        return t
    }

    /// Routes `sequences` sequences to task t's expert, as training did (SETA's oracle route); no gate: nothing to do.
    func routeOracle(to t: Int, sequences: Int) {
        strategy.routeEverySequence(to: t, sequences: sequences)
    }
}
