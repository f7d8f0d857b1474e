// Writes what a peer framework (PyTorch + PEFT) needs to replay a Seta SeqLoRA run step for step (see
// benchmarks/peers/README.md and benchmarks/peers/peft_seqlora.py):
//   lora_init.safetensors  the adapters' initial A and B under PEFT's key names (written on attach)
//   batches.jsonl          one line per step, in order: {"task", "step", "examples": [{"prompt_ids", "target_ids"}]}
//   seta_losses.jsonl      one line per step: [task, step, loss] (appended as training goes, so a killed run
//                          keeps them)
//   config.json            rank, alpha, targets, optimiser settings, pad id, model (written at once and again by
//                          finish)
//   seta_losses.json       [[task, step, loss], ...] (written by finish)
//   test.jsonl             one line per task: {"task", "name", "kind", "max_new_tokens", "examples": [{"prompt_ids",
//                          "references"}]}: the test prompts Seta evaluates, for the peer's accuracy matrix
import Foundation
import SetaModels
import SetaTensor

public enum PeerExportError: Error, LocalizedError {
    case unsupportedStrategy(String)
    case io(String)
    public var errorDescription: String? {
        switch self {
        case .unsupportedStrategy(let name):
            return "--export-peer supports seq-lora only (this run uses \(name))"
        case .io(let detail): return "peer export: \(detail)"
        }
    }
}

public final class PeerExport {
    public let folder: URL
    private let trainer: ContinualTrainer
    private var losses: [(task: Int, step: Int, loss: Float)] = []
    private var batchLog: FileHandle?
    private var lossLog: FileHandle?
    private var firstError: Error?

    public init(folder: URL, trainer: ContinualTrainer) throws {
        guard trainer.strategy is PeerReplayable else {
            throw PeerExportError.unsupportedStrategy(trainer.strategy.name)
        }
        self.folder = folder
        self.trainer = trainer
        let files = FileManager.default
        try files.createDirectory(at: folder, withIntermediateDirectories: true)
        // Fresh logs: a previous export in the same folder must not leak into this one.
        for name in ["batches.jsonl", "seta_losses.jsonl", "seta_losses.json", "lora_init.safetensors"] {
            try? files.removeItem(at: folder.appendingPathComponent(name))
        }
        batchLog = try Self.appendHandle(folder.appendingPathComponent("batches.jsonl"))
        lossLog = try Self.appendHandle(folder.appendingPathComponent("seta_losses.jsonl"))
        try writeConfig()
        try writeTestSets()

        let previousAttached = trainer.onAttached, previousBatch = trainer.onBatch, previousStep = trainer.onStep
        trainer.onAttached = { [unowned self] strategy in
            previousAttached?(strategy)
            self.record { try self.writeInitialAdapters(strategy) }
        }
        trainer.onBatch = { [unowned self] t, step, batch in
            previousBatch?(t, step, batch)
            self.record { try self.appendBatch(task: t, step: step, batch) }
        }
        trainer.onStep = { [unowned self] t, step, loss in
            previousStep?(t, step, loss)
            self.losses.append((t, step, loss))
            self.record { try self.appendLine([t, step, Double(loss)], to: self.lossLog) }
        }
    }

    /// Writes seta_losses.json and config.json; reports the first error an observer met.
    public func finish() throws {
        try? batchLog?.close(); batchLog = nil
        try? lossLog?.close(); lossLog = nil
        if let firstError { throw firstError }
        let rows: [[Any]] = losses.map { [$0.task, $0.step, Double($0.loss)] }
        try writeAtomically(JSONSerialization.data(withJSONObject: rows, options: []),
                            to: folder.appendingPathComponent("seta_losses.json"))
        try writeConfig()
    }

    // MARK: - Pieces

    private func record(_ body: () throws -> Void) {
        do { try body() } catch { if firstError == nil { firstError = error } }
    }

    private static func appendHandle(_ url: URL) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw PeerExportError.io("cannot create \(url.path)")
        }
        return try FileHandle(forWritingTo: url)
    }

    private func appendLine(_ object: Any, to handle: FileHandle?) throws {
        guard let handle else { return }
        var line = try JSONSerialization.data(withJSONObject: object, options: [])
        line.append(0x0A)
        try handle.write(contentsOf: line)
    }

    private func appendBatch(task t: Int, step: Int, _ batch: [PreparedExample]) throws {
        let examples: [[String: Any]] = batch.map { ["prompt_ids": $0.promptIds, "target_ids": $0.targetIds] }
        try appendLine(["task": t, "step": step, "examples": examples] as [String: Any], to: batchLog)
    }

    private func writeTestSets() throws {
        var lines = Data()
        for (t, task) in trainer.tasks.enumerated() {
            let examples: [[String: Any]] = task.test.map {
                ["prompt_ids": $0.promptIds, "references": $0.example.references]
            }
            let record: [String: Any] = ["task": t, "name": task.name, "kind": task.kind.rawValue,
                                         "max_new_tokens": task.maxNewTokens, "examples": examples]
            lines.append(try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]))
            lines.append(0x0A)
        }
        try writeAtomically(lines, to: folder.appendingPathComponent("test.jsonl"))
    }

    /// PEFT's names: `base_model.model.` + the module path + `.lora_A.weight` / `.lora_B.weight`.
    private func writeInitialAdapters(_ strategy: ContinualStrategy) throws {
        guard let seq = strategy as? PeerReplayable else { throw PeerExportError.unsupportedStrategy(strategy.name) }
        var tensors: [String: Tensor] = [:]
        for (name, lora) in seq.adapters {
            tensors["base_model.model.\(name).lora_A.weight"] = lora.a
            tensors["base_model.model.\(name).lora_B.weight"] = lora.b
        }
        try SafetensorsWriter.write(tensors, metadata: ["format": "pt", "source": "seta --export-peer"],
                                    to: folder.appendingPathComponent("lora_init.safetensors"))
    }

    private func writeConfig() throws {
        let options = trainer.options
        var config: [String: Any] = [
            "method": trainer.strategy.name,
            "learning_rate": Self.decimal(options.learningRate),
            "batch_size": options.batchSize,
            "epochs": options.epochs,
            "max_grad_norm": Self.decimal(options.maxGradNorm),
            "weight_decay": Self.decimal(options.weightDecay),
            "warmup_steps": options.warmupSteps,
            "schedule": "\(options.schedule)",
            "adam_beta1": 0.9, "adam_beta2": 0.999, "adam_epsilon": 1e-8,
            "pad_id": trainer.model.padId,
            "eos_id": trainer.model.endOfSequenceId,
            "eos_ids": trainer.model.endOfSequenceIds.sorted(),
            "seed": Int(options.seed),
            "model": trainer.modelName,
            "loss": "mean cross-entropy over all completion tokens of the batch (rows pooled)",
        ]
        if let path = Self.modelPath(trainer.modelName) { config["model_path"] = path }
        if let seq = trainer.strategy as? PeerReplayable {
            config["rank"] = seq.loraShape.rank
            config["alpha"] = Self.decimal(seq.loraShape.alpha)
            config["targets"] = seq.loraShape.targets.map(\.rawValue)
        }
        try writeAtomically(JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]),
                            to: folder.appendingPathComponent("config.json"))
    }

    /// A Float as the shortest decimal that reads back to it (5e-4, not 0.0005000000237487257).
    static func decimal(_ x: Float) -> Double { Double("\(x)") ?? Double(x) }

    /// The GGUF file behind a model name: `default` is the cached default model, a path is itself, and any
    /// other name the first cached GGUF whose file name starts with it.
    static func modelPath(_ name: String) -> String? {
        let files = FileManager.default
        if name == "default" { return ModelCache.defaultModelURL.path }
        let expanded = (name as NSString).expandingTildeInPath
        if files.fileExists(atPath: expanded) { return URL(fileURLWithPath: expanded).standardizedFileURL.path }
        let cache = ModelCache.modelsFolder
        let candidates = ((try? files.contentsOfDirectory(atPath: cache.path)) ?? []).sorted()
        let stem = (name as NSString).lastPathComponent
        return candidates.first { $0.hasPrefix(stem) && $0.hasSuffix(".gguf") }
            .map { cache.appendingPathComponent($0).path }
    }
}
