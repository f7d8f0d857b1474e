// A tiny random Llama (d = 32, 2 layers, grouped KV heads) learns a toy next-token task in seconds: every
// sequence counts upward with its own stride (x_{t+1} = x_t + k mod V, k ∈ {1, 2, 3}), so predicting the next
// token needs attention to the previous two. Also checks that the KV-cache path gives the training forward's
// logits.
import Testing
import SetaTensor
@testable import SetaModels

@Suite struct TinyLlamaTrainingTests {
    static let config = LlamaConfig(vocabSize: 16, hiddenSize: 32, intermediateSize: 64, layerCount: 2,
                                    headCount: 4, kvHeadCount: 2, rmsNormEps: 1e-5, ropeTheta: 10000,
                                    maxPositions: 64, tiedEmbeddings: true)

    static func batch(_ rng: inout SeededRNG, rows: Int, length: Int) -> (ids: [Int], targets: [Int]) {
        var ids: [Int] = [], targets: [Int] = []
        for _ in 0..<rows {
            let start = Int(rng.next() % 16), step = 1 + Int(rng.next() % 3)
            let seq = (0...length).map { (start + $0 * step) % 16 }
            ids += seq.dropLast()
            targets += seq.dropFirst()
        }
        return (ids, targets)
    }

    @Test func lossFallsOnCountingTask() {
        var rng = SeededRNG(seed: 0)
        let model = LlamaModel.random(config: Self.config, rng: &rng, std: 0.1)
        let params = model.namedWeights.map(\.1)
        params.forEach { $0.requiresGrad = true }
        let opt = AdamW(parameters: params, config: AdamWConfig(learningRate: 1e-2, weightDecay: 0.01))
        let schedule = LearningRateSchedule(peak: 1e-2, warmupSteps: 10, totalSteps: 150, decay: .cosine)
        var losses: [Float] = []
        for step in 0..<150 {
            let (ids, targets) = Self.batch(&rng, rows: 8, length: 12)
            opt.zeroGrad()
            let loss = model.loss(ids: ids, targets: targets, batch: 8)
            loss.backward()
            clipGradientNorm(params, maxNorm: 1)
            opt.update(learningRate: schedule.learningRate(at: step))
            losses.append(loss.values[0])
        }
        let first = losses.prefix(5).reduce(0, +) / 5, last = losses.suffix(10).reduce(0, +) / 10
        // Chance is ln 16 ≈ 2.77; after the first two tokens the sequence is determined.
        #expect(first > 2.3)
        #expect(last < 0.6, "loss went from \(first) to \(last)")
    }

    @Test func kvCacheDecodingMatchesFullForward() {
        var rng = SeededRNG(seed: 1)
        let model = LlamaModel.random(config: Self.config, rng: &rng, std: 0.2)
        let ids = [3, 7, 1, 12, 5, 9, 0, 4]
        let full = model.logits(hidden: model.hiddenStates(ids: ids, batch: 1))         // (8, V)
        let cache = KVCache(config: Self.config, batch: 1, capacity: 16)
        var incremental: [Float] = model.logits(hidden: model.hiddenStates(ids: Array(ids[0..<5]), batch: 1, cache: cache)).values
        for id in ids[5...] {
            incremental += model.logits(hidden: model.hiddenStates(ids: [id], batch: 1, cache: cache)).values
        }
        let worst = zip(full.values, incremental).map { abs($0 - $1) }.max()!
        #expect(worst < 1e-4)
        #expect(cache.length == 8)
    }

    @Test func batchedCacheWithRowsDroppedMatchesEachRowAlone() {
        // Three left-padded rows decode together; after two steps row 1 leaves the batch (keepRows), and rows 0 and
        // 2 go on: every step of theirs matches the row decoded alone, with a cache read in place (keyCount).
        var rng = SeededRNG(seed: 3)
        let model = LlamaModel.random(config: Self.config, rng: &rng, std: 0.2)
        let prompts = [[3, 7, 1, 12], [5, 9], [0, 4, 8]], steps = [[2, 6, 11, 13], [14, 15, 1, 1], [10, 3, 7, 9]]
        let longest = 4, padding = prompts.map { longest - $0.count }
        func alone(_ r: Int) -> [[Float]] {
            let cache = KVCache(config: Self.config, batch: 1, capacity: 16)
            var rows = [model.logits(hidden: model.hiddenStates(ids: prompts[r], batch: 1, cache: cache), rows: [prompts[r].count - 1]).values]
            for id in steps[r] { rows.append(model.logits(hidden: model.hiddenStates(ids: [id], batch: 1, cache: cache)).values) }
            return rows
        }
        let cache = KVCache(config: Self.config, batch: 3, capacity: 16)
        let input = zip(prompts, padding).flatMap { [Int](repeating: 0, count: $1) + $0 }
        var active = [0, 1, 2], pad = padding
        var batched = [[[Float]]](repeating: [], count: 3)
        let first = model.logits(hidden: model.hiddenStates(ids: input, batch: 3, cache: cache, leftPadding: pad),
                                 rows: [3, 7, 11]).values
        for (i, r) in active.enumerated() { batched[r].append(Array(first[(i * 16)..<((i + 1) * 16)])) }
        for step in 0..<4 {
            if step == 2 { cache.keepRows([0, 2]); active = [0, 2]; pad = [pad[0], pad[2]] }
            let ids = active.map { steps[$0][step] }
            let out = model.logits(hidden: model.hiddenStates(ids: ids, batch: active.count, cache: cache, leftPadding: pad)).values
            for (i, r) in active.enumerated() { batched[r].append(Array(out[(i * 16)..<((i + 1) * 16)])) }
        }
        #expect(cache.length == 8 && batched.map(\.count) == [5, 3, 5])
        for r in 0..<3 {
            let reference = alone(r).prefix(batched[r].count)
            let worst = zip(reference, batched[r]).flatMap { zip($0, $1).map { abs($0 - $1) } }.max()!
            #expect(worst < 1e-4, "row \(r): \(worst)")
        }
    }

    @Test func frozenBaseAllocatesNoWeightGradients() {
        var rng = SeededRNG(seed: 2)
        let model = LlamaModel.random(config: Self.config, rng: &rng)
        // Only the final norm trains: no other weight may get a gradient buffer.
        model.finalNorm.requiresGrad = true
        let (ids, targets) = Self.batch(&rng, rows: 2, length: 6)
        model.loss(ids: ids, targets: targets, batch: 2).backward()
        #expect(model.finalNorm.grad != nil)
        #expect(model.namedWeights.filter { $0.1 !== model.finalNorm }.allSatisfy { $0.1.grad == nil })
    }
}
