// The model with bf16 weights (`useBF16Weights`) against float32: the default model's logits keep transformers'
// argmax at the last position and at ≥ 90% of positions (measured: 221 of 225, max |Δlogit| 0.25 at the last
// position, bound 0.5); gradients through every bf16 projection match float32's; the
// fallback (a CPU without AVX-512 BF16, forced here) leaves the model float32, bit for bit.
import Foundation
import Testing
import SetaTestSupport
import SetaTensor
@testable import SetaModels

@Suite(.serialized) struct BF16ModelTests {
    static let config = TinyLlamaTrainingTests.config

    func tinyModel() -> LlamaModel {
        var rng = SeededRNG(seed: 21)
        return LlamaModel.random(config: Self.config, rng: &rng, std: 0.1)
    }

    func relativeError(_ a: Tensor, _ b: Tensor) -> Float {
        var d: Float = 0, r: Float = 0
        for i in 0..<a.count { d += (a.data[i] - b.data[i]) * (a.data[i] - b.data[i]); r += b.data[i] * b.data[i] }
        return (d / max(r, 1e-30)).squareRoot()
    }

    @Test func fallbackLeavesTheModelFloat32BitForBit() {
        let reference = tinyModel(), model = tinyModel()
        BFloat16.forceFallback = true
        defer { BFloat16.forceFallback = false }
        #expect(!model.useBF16Weights() && !model.usesBF16Weights)
        let ids = [1, 5, 9, 2, 7, 3]
        let a = model.logits(hidden: model.hiddenStates(ids: ids, batch: 2))
        let b = reference.logits(hidden: reference.hiddenStates(ids: ids, batch: 2))
        #expect(a.values == b.values)
    }

    @Test(.requires(cpuFeature: BFloat16.cpuSupport, "AVX-512 BF16")) func gradientsThroughBF16ProjectionsMatchFloat32() {
        let reference = tinyModel(), model = tinyModel()
        #expect(model.useBF16Weights() && model.usesBF16Weights)
        #expect(model.blocks[0].mlp.down.weight.values.allSatisfy { BFloat16.rounded($0) == $0 })
        var rng = SeededRNG(seed: 4)
        let (ids, targets) = TinyLlamaTrainingTests.batch(&rng, rows: 4, length: 10)
        var losses: [Float] = [], grads: [[Tensor]] = []
        for m in [reference, model] {
            let params = m.blocks.flatMap { [$0.attentionNorm, $0.mlpNorm] }
            params.forEach { $0.requiresGrad = true }
            let loss = m.loss(ids: ids, targets: targets, batch: 4)
            loss.backward()
            losses.append(loss.values[0])
            grads.append(params.map { $0.grad! })
        }
        #expect(abs(losses[0] - losses[1]) <= 1e-2 * abs(losses[0]), "loss f32 \(losses[0]) bf16 \(losses[1])")
        for (g32, g16) in zip(grads[0], grads[1]) { #expect(relativeError(g16, g32) < 3e-2) }   // measured 0.7–1.1%
    }

    @Test(.requires(cpuFeature: BFloat16.cpuSupport, "AVX-512 BF16"),
          .requires(installed: FileManager.default.fileExists(atPath: ModelCache.defaultModelURL.path), "default model not in the cache (make model-for-tests)"))
    func defaultModelKeepsTransformersArgmax() throws {
        let lm = try LanguageModel.load("default")
        #expect(lm.network.useBF16Weights())
        let v = lm.config.vocabSize
        var worst: Float = 0
        for case_ in SmolLM2ParityTests.prompts {
            let ids = case_["ids"] as! [Int], t = ids.count
            let logits = try lm.logits(ids: ids)
            let reference = floats(base64: case_["last_logits_f32_b64"] as! String)
            let last = Array(UnsafeBufferPointer(start: logits.data + (t - 1) * v, count: v))
            worst = max(worst, zip(last, reference).map { abs($0 - $1) }.max()!)
            let argmax = (0..<t).map { p in (0..<v).max { logits.data[p * v + $0] < logits.data[p * v + $1] }! }
            let expected = case_["argmax"] as! [Int]
            let agree = zip(argmax, expected).filter { $0 == $1 }.count
            #expect(argmax.last == expected.last && agree * 10 >= 9 * t, "\(case_["name"]!): \(agree)/\(t) positions agree")
        }
        #expect(worst <= 0.5, "max |Δlogit| at the last position, bf16 vs transformers f32: \(worst)")
    }
}
