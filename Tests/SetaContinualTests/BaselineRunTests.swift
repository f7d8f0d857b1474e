// The baselines (EWC-LoRA, IncLoRA, O-LoRA, Replay-LoRA) end to end on the tiny Llama and the tiny stream: the
// trainer fills the accuracy matrix, and a checkpoint restores (through RunFolder, as `seta predict` and
// `train --resume` do) into a strategy whose own checkpoint and outputs are bit-identical.
import Foundation
import Testing
import SetaExperts
import SetaMetrics
import SetaModels
import SetaTensor
@testable import SetaContinual

extension Tiny {
    static let baselines = ["ewc", "inc-lora", "olora", "replay"]
    static let upperBounds = ["independent", "per-task", "mtl"]

    /// A strategy by its `--method` name, sized for the tiny stream (16 training examples per task).
    static func strategy(_ method: String) -> ContinualStrategy {
        switch method {
        case "seta": return seta()
        case "ewc":
            var o = EWCLoRA.Options()
            o.fisherExamples = 4
            return EWCLoRA(options: o)
        case "inc-lora": return IncLoRA()
        case "independent": return IndependentExperts()
        case "per-task": return PerTaskLoRA()
        case "mtl": return MultiTaskLoRA()
        case "olora": return OLoRA()
        case "replay":
            var o = ReplayLoRA.Options()
            o.budget = 6
            return ReplayLoRA(options: o)
        default: return SeqLoRA()
        }
    }
}

@Suite struct BaselineRunTests {
    @Test(arguments: Tiny.baselines)
    func runsThroughTheTrainerAndRestoresBitExactly(method: String) throws {
        let lm = try Tiny.model()
        let strategy = Tiny.strategy(method)
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("seta-baseline-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        let results = try ContinualTrainer(model: lm, strategy: strategy, tasks: Tiny.tasks(count: 2), options: Tiny.options(),
                                           modelName: "tiny", benchmark: nil).run(checkpoints: RunFolder.checkpoints(run))
        #expect(results.method == method && results.matrix.count == 2 && results.matrix.allSatisfy { $0.count == 2 })
        #expect(results.routingAccuracy == nil && results.sharedUtilisation == nil)
        #expect(results.params?.storedAfterTask.count == 2 && results.metrics.bwt != nil)
        #expect(results.config["method"] == .string(method))

        // Restore on a fresh model, as `seta predict` does.
        let description = RunDescription(model: "tiny", method: method, tasks: ["t0", "t1"], benchmark: nil, seed: 0)
        let fresh = try Tiny.model()
        let restored = try RunFolder.restoreStrategy(run, description: description, model: fresh)
        #expect(restored.name == method && restored.configuration == strategy.configuration)
        #expect(restored.storedParameterCount == strategy.storedParameterCount)
        let saved = try CheckpointWriter.read(RunFolder.checkpoints(run).appendingPathComponent("task-1"))
        let again = restored.checkpoint(), live = strategy.checkpoint()
        #expect(Set(again.tensors.keys) == Set(saved.tensors.keys) && Set(live.tensors.keys) == Set(saved.tensors.keys))
        for (name, t) in saved.tensors {
            #expect(again.tensors[name]!.values.map(\.bitPattern) == t.values.map(\.bitPattern), "\(name)")
            #expect(live.tensors[name]!.values.map(\.bitPattern) == t.values.map(\.bitPattern), "\(name)")
        }
        for (key, value) in again.manifest { #expect(saved.manifest[key] == value, "\(key)") }
        #expect(again.manifest.keys.count >= 3)                      // method, config and the method's own state

        // The restored adapters compute exactly what the trained ones do.
        let prompt = lm.encode("task question two\nvalue 3\nAnswer:")
        let hidden = lm.network.hiddenStates(ids: prompt, batch: 1)
        let restoredHidden = fresh.network.hiddenStates(ids: prompt, batch: 1)
        #expect(hidden.values.map(\.bitPattern) == restoredHidden.values.map(\.bitPattern))
    }
}
