// PEFT's LoRA format: write → read bit for bit, the files laid out as PEFT 0.21 saves them, an adapter saved by PEFT
// (scripts/fixtures/peft_adapter_fixture.py) giving PEFT's logits on the tiny Llama, and every bad input a typed
// error naming the file.
import Foundation
import Testing
import SetaExperts
import SetaModels
import SetaTensor

enum PEFTFixture {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../SetaModelsTests/Fixtures").standardized
    static let adapter = folder.appendingPathComponent("peft-lora-tiny-llama")
    static func logits() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("peft_lora_logits.json"))) as? [String: Any])
    }

    static func scratch() -> URL { FileManager.default.temporaryDirectory.appendingPathComponent("seta-peft-\(UUID().uuidString)") }

    static func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededRNG(seed: seed)
        return Tensor.uniform(shape, -1, 1, rng: &rng)
    }

    /// A LoRA shaped like the fixture's (r 4 on q_proj [32 → 32] and v_proj [32 → 16] of 2 layers), random values.
    static func tinyShaped(rank: Int = 4, alpha: Double = 8) -> PEFTAdapter {
        let modules = (0..<2).flatMap { layer in
            [("q_proj", 32), ("v_proj", 16)].map { projection, out in
                PEFTAdapter.Module(name: "model.layers.\(layer).self_attn.\(projection)",
                                   a: random([rank, 32], seed: UInt64(layer * 10 + out)), b: random([out, rank], seed: UInt64(layer * 10 + out + 1)))
            }
        }
        return PEFTAdapter(modules: modules, alpha: alpha, baseModel: "tiny-llama")
    }
}

@Suite struct PEFTAdapterTests {
    @Test func writeThenReadIsBitExact() throws {
        let folder = PEFTFixture.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let adapter = PEFTFixture.tinyShaped(rank: 3, alpha: 7.5)
        try adapter.write(to: folder)
        let back = try PEFTAdapter.read(from: folder)
        #expect(back.rank == 3 && back.alpha == 7.5 && back.scale == 2.5 && back.baseModel == "tiny-llama")
        #expect(back.targetModules == ["q_proj", "v_proj"] && back.modules.map(\.name) == adapter.modules.map(\.name))
        for (m, n) in zip(adapter.modules, back.modules) {
            #expect(m.a.shape == n.a.shape && m.a.values.map(\.bitPattern) == n.a.values.map(\.bitPattern))
            #expect(m.b.shape == n.b.shape && m.b.values.map(\.bitPattern) == n.b.values.map(\.bitPattern))
        }
        // Written again into the existing folder (atomically, file by file): no temporary files left behind.
        try adapter.write(to: folder)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["adapter_config.json", "adapter_model.safetensors"])
    }

    @Test func stackingSumsThePartsAndPadsLowerRanksWithZeros() throws {
        let a1 = PEFTFixture.random([2, 6], seed: 1), a2 = PEFTFixture.random([3, 6], seed: 2), a3 = PEFTFixture.random([1, 6], seed: 3)
        let b1 = PEFTFixture.random([4, 2], seed: 4), b2 = PEFTFixture.random([4, 3], seed: 5), b3 = PEFTFixture.random([4, 1], seed: 6)
        let adapter = PEFTAdapter(scale: 1.5, stacking: [("m.two_parts", [a1, a2], [b1, b2]), ("m.one_part", [a3], [b3])])
        #expect(adapter.rank == 5 && adapter.alpha == 7.5 && adapter.targetModules == ["one_part", "two_parts"])
        #expect(adapter.modules[1].a.shape == [5, 6] && adapter.modules[1].b.shape == [4, 5])
        #expect(Array(adapter.modules[1].a.values[6...]).allSatisfy { $0 == 0 })      // rows 1…4: padding
        let x = PEFTFixture.random([3, 6], seed: 7)                                    // (N, in)
        func delta(_ a: Tensor, _ b: Tensor) -> [Float] { LoRA(a: a, b: b, scale: 1.5).delta(x).values }
        let sum = zip(delta(a1, b1), delta(a2, b2)).map { $0 + $1 }
        for (expected, module) in [(sum, adapter.modules[0]), (delta(a3, b3), adapter.modules[1])] {
            #expect(zip(expected, delta(module.a, module.b)).allSatisfy { abs($0 - $1) <= 1e-5 }, "\(module.name)")
        }
        a1.data[0] += 1                                                                // the adapter holds copies
        #expect(adapter.modules[0].a.data[0] != a1.data[0])
    }

    @Test func filesAreLaidOutAsPEFTSavesThem() throws {
        let folder = PEFTFixture.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        try PEFTFixture.tinyShaped().write(to: folder)
        let ours = try SafetensorsFile(url: folder.appendingPathComponent(PEFTAdapter.weightsFile))
        let peft = try SafetensorsFile(url: PEFTFixture.adapter.appendingPathComponent(PEFTAdapter.weightsFile))
        #expect(ours.names == peft.names && ours.names.first == "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
        for name in peft.names {
            #expect(ours.tensorInfos[name]?.shape == peft.tensorInfos[name]?.shape && ours.tensorInfos[name]?.dtype == "F32", "\(name)")
        }
        #expect(ours.metadata == peft.metadata)
        // The config byte for byte, given PEFT's base model path and its (set) order of target_modules.
        var adapter = PEFTFixture.tinyShaped()
        adapter.baseModel = "Tests/SetaModelsTests/Fixtures/tiny-llama"
        adapter.targetModules = ["v_proj", "q_proj"]
        try adapter.write(to: folder)
        let config = { (url: URL) in try String(contentsOf: url.appendingPathComponent(PEFTAdapter.configFile), encoding: .utf8) }
        #expect(try config(folder) == config(PEFTFixture.adapter))
    }

    @Test func anAdapterSavedByPEFTGivesPEFTsLogits() throws {
        let adapter = try PEFTAdapter.read(from: PEFTFixture.adapter)
        #expect(adapter.rank == 4 && adapter.alpha == 8 && adapter.modules.count == 4)
        #expect(Set(adapter.targetModules) == ["q_proj", "v_proj"])
        let lm = try Tiny.model()
        let fixture = try PEFTFixture.logits()
        let sequences = try #require(fixture["sequences"] as? [[String: Any]])
        func logits(_ ids: [Int]) throws -> [Float] { try lm.logits(ids: ids).values }
        let base = try sequences.map { try logits($0["ids"] as! [Int]) }
        try adapter.attach(to: lm.network)
        var worst: Float = 0, effect: Float = 0
        for (sequence, before) in zip(sequences, base) {
            let reference = Data(base64Encoded: sequence["logits_f32_b64"] as! String)!.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            let ours = try logits(sequence["ids"] as! [Int])
            #expect(ours.count == reference.count)
            worst = max(worst, zip(ours, reference).map { abs($0 - $1) }.max()!)
            effect = max(effect, zip(ours, before).map { abs($0 - $1) }.max()!)
        }
        #expect(worst <= 1e-4, "max |Δlogit| against PEFT = \(worst)")        // the tiny-model parity tolerance
        #expect(effect > 0.5, "the adapter changes the logits by \(effect) only")
    }

    @Test func attachRefusesModulesTheModelDoesNotHave() throws {
        let lm = try Tiny.model()
        var adapter = PEFTFixture.tinyShaped()
        adapter.modules[3].name = "model.layers.7.self_attn.v_proj"
        #expect(throws: AdapterError.self) { try adapter.attach(to: lm.network) }
        #expect(lm.network.projections(TargetProjection.allCases).allSatisfy { $0.linear.adapter == nil })   // nothing attached
        var wrong = PEFTFixture.tinyShaped()
        wrong.modules[1].name = "model.layers.0.mlp.down_proj"                  // 64 → 32: A [4, 32] does not fit
        #expect(throws: AdapterError.self) { try wrong.attach(to: lm.network) }
    }

    @Test func writingWhereAFileIsIsAnError() throws {
        let file = PEFTFixture.scratch()
        try Data("x".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        for target in [file, file.appendingPathComponent("adapter")] {
            do { try PEFTFixture.tinyShaped().write(to: target); Issue.record("no error writing to \(target.path)") } catch let error as CheckpointError {
                guard case .unwritable = error else { Issue.record("\(error)"); continue }
                #expect(error.description.contains(file.path))
            }
        }
    }

    // MARK: Bad input

    enum Damage: String, CaseIterable {
        case noConfig, noWeights, malformedJSON, configNotAnObject, dora, rslora, rankPattern, alphaPattern, bias,
             notLoRA, missingA, missingB, rankOfAWrong, rankOfBWrong, configRankWrong, extraTensor, noRank
    }

    @Test(arguments: Damage.allCases)
    func badInputIsAnErrorNamingTheFile(_ damage: Damage) throws {
        let folder = PEFTFixture.scratch()
        defer { try? FileManager.default.removeItem(at: folder) }
        let adapter = PEFTFixture.tinyShaped()
        try adapter.write(to: folder)
        let configURL = folder.appendingPathComponent(PEFTAdapter.configFile), weightsURL = folder.appendingPathComponent(PEFTAdapter.weightsFile)
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        var tensors: [String: Tensor] = [:]
        for m in adapter.modules {
            tensors["base_model.model.\(m.name).lora_A.weight"] = m.a
            tensors["base_model.model.\(m.name).lora_B.weight"] = m.b
        }
        let q0 = "base_model.model.model.layers.0.self_attn.q_proj"
        var file = configURL
        switch damage {
        case .noConfig: try FileManager.default.removeItem(at: configURL)
        case .noWeights: try FileManager.default.removeItem(at: weightsURL); file = weightsURL
        case .malformedJSON: try Data("{\"r\": 4,".utf8).write(to: configURL)
        case .configNotAnObject: try Data("[4, 8]".utf8).write(to: configURL)
        case .dora: config["use_dora"] = true
        case .rslora: config["use_rslora"] = true
        case .rankPattern: config["rank_pattern"] = ["q_proj": 8]
        case .alphaPattern: config["alpha_pattern"] = ["v_proj": 32]
        case .bias: config["bias"] = "lora_only"
        case .notLoRA: config["peft_type"] = "IA3"
        case .noRank: config["r"] = nil
        case .configRankWrong: config["r"] = 5; file = weightsURL
        case .missingA: tensors["\(q0).lora_A.weight"] = nil; file = weightsURL
        case .missingB: tensors["\(q0).lora_B.weight"] = nil; file = weightsURL
        case .rankOfAWrong: tensors["\(q0).lora_A.weight"] = PEFTFixture.random([5, 32], seed: 1); file = weightsURL
        case .rankOfBWrong: tensors["\(q0).lora_B.weight"] = PEFTFixture.random([32, 3], seed: 1); file = weightsURL
        case .extraTensor: tensors["base_model.model.lm_head.weight"] = PEFTFixture.random([300, 32], seed: 1); file = weightsURL
        }
        if ![.noConfig, .noWeights, .malformedJSON, .configNotAnObject].contains(damage) {
            try JSONSerialization.data(withJSONObject: config).write(to: configURL)
            try SafetensorsWriter.write(tensors, metadata: ["format": "pt"], to: weightsURL)
        }
        do {
            _ = try PEFTAdapter.read(from: folder)
            Issue.record("\(damage): read without error")
        } catch let error as CheckpointError {
            #expect(error.description.contains(file.path), "\(damage): \(error)")
            switch (damage, error) {
            case (.noConfig, .notFound), (.noWeights, .notFound), (.malformedJSON, .badJSON), (.configNotAnObject, .badJSON),
                 (.missingA, .missingTensor), (.missingB, .missingTensor), (.rankOfAWrong, .shapeMismatch),
                 (.rankOfBWrong, .shapeMismatch), (.configRankWrong, .shapeMismatch), (.extraTensor, .invalid): break
            case (.dora, .invalid), (.rslora, .invalid), (.rankPattern, .invalid), (.alphaPattern, .invalid), (.bias, .invalid),
                 (.notLoRA, .invalid), (.noRank, .invalid):
                let key = ["dora": "use_dora", "rslora": "use_rslora", "rankPattern": "rank_pattern", "alphaPattern": "alpha_pattern",
                           "bias": "bias", "notLoRA": "peft_type", "noRank": "r is missing"][damage.rawValue]!
                #expect(error.description.contains(key), "\(damage): \(error)")
            default: Issue.record("\(damage): unexpected error \(error)")
            }
        }
    }
}
