// Fuzzing of PEFT adapter folders through PEFTAdapter.read (what `seta logits --peft` calls): each of 300 iterations
// (seed 0xADA9) copies the PEFT-saved fixture (peft-lora-tiny-llama) and mutates adapter_config.json (JSON-aware
// mutations) or adapter_model.safetensors (binary, mostly in its JSON header). Every mutant must read — and then
// attach to the tiny Llama (or be refused there with an AdapterError) and run a forward pass — or throw a
// CheckpointError naming the folder; a crash fails the run.
import Foundation
import SetaExperts
import SetaFuzzing
import SetaModels
import Testing
import SetaTestSupport

@Suite(.tags(.slow)) struct FuzzPEFTAdapterTests {
    static let seed: UInt64 = 0xADA9
    static let iterations = 300
    static let files = [PEFTAdapter.configFile, PEFTAdapter.weightsFile]

    @Test func mutatedAdapterFoldersThrowTypedErrors() throws {
        var originals: [String: [UInt8]] = [:]
        for name in Self.files { originals[name] = Array(try Data(contentsOf: PEFTFixture.adapter.appendingPathComponent(name))) }
        let weights = originals[PEFTAdapter.weightsFile]!
        let headerEnd = 8 + weights.prefix(8).reversed().reduce(0) { $0 << 8 | Int($1) }
        let lm = try Tiny.model()
        let scratch = try FuzzScratch("peft-adapter")
        defer { scratch.remove() }
        var mutator = Mutator(seed: Self.seed)
        var run = FuzzRun("PEFT adapter folder")
        var attached = 0
        for i in 0 ..< Self.iterations {
            let target = Self.files[i % 2]
            let m = target == PEFTAdapter.weightsFile
                ? mutator.mutateBinary(weights, focus: 0 ..< headerEnd) : mutator.mutateJSON(originals[target]!)
            let folder = scratch.url("adapter-\(i)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for (name, bytes) in originals { try Data(name == target ? m.bytes : bytes).write(to: folder.appendingPathComponent(name)) }
            var adapter: PEFTAdapter?
            run.iteration(i, "\(target): \(m.summary)", mustName: folder.path, isExpected: { $0 is CheckpointError }) {
                adapter = try PEFTAdapter.read(from: folder)
            }
            if let adapter {
                do {
                    try adapter.attach(to: lm.network)
                    _ = try lm.logits(ids: [5, 17, 42])
                    attached += 1
                } catch is AdapterError {                                     // a module the model does not have, or misfit
                } catch { Issue.record("#\(i) (\(target): \(m.summary)): attached, then \(error)") }
                lm.network.detachAdapters()
            }
            try? FileManager.default.removeItem(at: folder)
        }
        #expect(run.problems.isEmpty, "\(run.problems.prefix(10).joined(separator: "\n"))")
        #expect(run.rejected > Self.iterations / 4 && attached > 0, "\(run), \(attached) attached")
    }
}
