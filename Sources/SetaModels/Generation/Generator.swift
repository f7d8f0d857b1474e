// Autoregressive decoding with a KV cache: the prompt is processed in one forward (prefill), then one token
// per step, the LM head only on the last position. Greedy by default; temperature sampling with a seeded RNG.
import Foundation
import SetaTensor

public struct GenerationOptions: Sendable {
    public var maxNewTokens: Int = 64
    /// 0 = greedy (argmax).
    public var temperature: Float = 0
    /// Stop at any end-of-sequence id (the model's), and at a newline when `stopAtNewline`.
    public var stopAtNewline: Bool = false
    public var seed: UInt64 = 0
    public init(maxNewTokens: Int = 64, temperature: Float = 0, stopAtNewline: Bool = false, seed: UInt64 = 0) {
        self.maxNewTokens = maxNewTokens; self.temperature = temperature
        self.stopAtNewline = stopAtNewline; self.seed = seed
    }
}

public struct Generation: Sendable {
    public var promptIds: [Int]
    public var newIds: [Int]
    public var text: String
    /// Why decoding stopped: "eos", "newline" or "length".
    public var stopReason: String
    public var prefillSeconds: Double
    public var decodeSeconds: Double
    public var prefillTokensPerSecond: Double { Double(promptIds.count) / max(prefillSeconds, 1e-9) }
    /// Tokens per second of the incremental steps (after the first new token, which comes from the prefill).
    public var decodeTokensPerSecond: Double { Double(max(newIds.count - 1, 0)) / max(decodeSeconds, 1e-9) }
}

extension LanguageModel {
    public func generate(promptIds: [Int], options: GenerationOptions = GenerationOptions()) throws -> Generation {
        try validate(ids: promptIds)
        let capacity = promptIds.count + options.maxNewTokens
        guard capacity <= config.maxPositions || config.maxPositions <= 0 else {
            throw ModelError.invalidInput("prompt (\(promptIds.count) tokens) + \(options.maxNewTokens) new tokens "
                                          + "exceed the model's context of \(config.maxPositions)")
        }
        var rng = SeededRNG(seed: options.seed)
        let cache = KVCache(config: config, batch: 1, capacity: capacity)
        let eos = endOfSequenceIds
        let newlineIds = Set((0..<tokenizer.vocabularySize).lazy.filter { [tokenizer] id in
            options.stopAtNewline && tokenizer.decode([id]).contains("\n")
        })
        let clock = ContinuousClock()
        var newIds: [Int] = [], stop = "length"
        var prefill: Duration = .zero
        let start = clock.now
        var input = promptIds
        while newIds.count < options.maxNewTokens {
            let hidden = Tensor.withoutGradients { network.hiddenStates(ids: input, batch: 1, cache: cache) }
            let logits = network.logits(hidden: hidden, rows: [input.count - 1])   // (1, V)
            if newIds.isEmpty { prefill = clock.now - start }
            let next = pick(logits, temperature: options.temperature, rng: &rng)
            if eos.contains(next) { stop = "eos"; break }
            newIds.append(next)
            if newlineIds.contains(next) { stop = "newline"; break }
            input = [next]
        }
        let total = clock.now - start
        return Generation(promptIds: promptIds, newIds: newIds, text: tokenizer.decode(newIds), stopReason: stop,
                          prefillSeconds: prefill.inSeconds, decodeSeconds: (total - prefill).inSeconds)
    }

    private func pick(_ logits: Tensor, temperature: Float, rng: inout SeededRNG) -> Int {
        let v = logits.count, p = logits.data
        if temperature <= 0 {
            var best = 0
            for j in 1..<v where p[j] > p[best] { best = j }
            return best
        }
        var m = -Float.infinity
        for j in 0..<v where p[j] > m { m = p[j] }
        var weights = [Double](repeating: 0, count: v), total = 0.0
        for j in 0..<v { weights[j] = exp(Double((p[j] - m) / temperature)); total += weights[j] }
        var u = Double(rng.uniform()) * total
        for j in 0..<v { u -= weights[j]; if u <= 0 { return j } }
        return v - 1
    }
}
