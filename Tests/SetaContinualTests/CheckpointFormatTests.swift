// A checkpoint written before this release's format (no shims read it any more) is a clear error naming the file
// and what is missing — never a guess at the old defaults.
import Foundation
import Testing
import SetaMetrics
import SetaModels
@testable import SetaContinual

@Suite struct CheckpointFormatTests {
    /// Keys older SETA and independent-experts checkpoints did not have: each, removed from a fresh checkpoint,
    /// stops the restore with an error that names manifest.json and the key.
    @Test(arguments: [("seta", "initialised_from", false), ("seta", "unique_init", true), ("independent", "scales", false)])
    func aKeyOlderCheckpointsLackedIsAnErrorNamingIt(method: String, key: String, inConfig: Bool) throws {
        let lm = try Tiny.model()
        let strategy = Tiny.strategy(method)
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("seta-format-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        _ = try ContinualTrainer(model: lm, strategy: strategy, tasks: Tiny.tasks(count: 1), options: Tiny.options(),
                                 modelName: "tiny", benchmark: nil).run(checkpoints: RunFolder.checkpoints(run))
        var state = try CheckpointWriter.read(RunFolder.checkpoint(afterTask: 0, in: RunFolder.checkpoints(run)))
        let method = try #require(Methods.named(method))
        _ = try method.restore(state, model: try Tiny.model())           // the whole checkpoint restores
        if inConfig, case var .object(config)? = state.manifest["config"] {
            config[key] = nil
            state.manifest["config"] = .object(config)
        } else {
            state.manifest[key] = nil
        }
        do {
            _ = try method.restore(state, model: try Tiny.model())
            Issue.record("a checkpoint without \(key) restored")
        } catch let error as CheckpointError {
            let message = "\(error)"
            #expect(message.contains("manifest.json") && message.contains(key), "\(message)")
        }
    }

    /// A dynamic-rule SETA checkpoint without the marker of the normalised running statistic (written before the
    /// rule compared normalised products) is refused: continuing it would mix raw and normalised sums.
    @Test func aDynamicRuleCheckpointFromBeforeTheNormalisedRuleIsRefused() throws {
        var o = SETA.Options()
        o.probeBatches = 2; o.fisherExamples = 4; o.split.rule = .dynamic
        let run = FileManager.default.temporaryDirectory.appendingPathComponent("seta-format-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: run) }
        _ = try ContinualTrainer(model: try Tiny.model(), strategy: SETA(options: o), tasks: Tiny.tasks(count: 1),
                                 options: Tiny.options(), modelName: "tiny", benchmark: nil)
            .run(checkpoints: RunFolder.checkpoints(run))
        var state = try CheckpointWriter.read(RunFolder.checkpoint(afterTask: 0, in: RunFolder.checkpoints(run)))
        #expect(state.manifest["running_product"] == "normalised")
        _ = try SETA.restore(state, model: try Tiny.model())
        state.manifest["running_product"] = nil
        #expect(throws: CheckpointError.self) { try SETA.restore(state, model: try Tiny.model()) }
    }
}
