// Replay-LoRA's memory: the reservoir is a uniform sample of everything offered (inclusion frequencies over many
// seeded streams) within its budget, and training batches of later tasks mix in ⌈|batch|/4⌉ replayed examples.
import Foundation
import Testing
import SetaTensor
@testable import SetaContinual

@Suite struct ReplayTests {
    @Test func reservoirIsAUniformSampleWithinItsBudget() {
        // 20 000 streams of 50 items into a budget of 10: every item is kept with probability 10/50 = 0.2.
        // One frequency's standard deviation is √(0.2·0.8/20 000) ≈ 0.0028; the tolerance 0.015 is > 5σ.
        let budget = 10, length = 50, streams = 20_000
        var rng = SeededRNG(seed: 11)
        var kept = [Int](repeating: 0, count: length)
        var withinBudget = true, distinct = true
        for _ in 0..<streams {
            var reservoir = Reservoir<Int>(budget: budget)
            for item in 0..<length {
                reservoir.offer(item, rng: &rng)
                withinBudget = withinBudget && reservoir.items.count == min(item + 1, budget) && reservoir.seen == item + 1
            }
            distinct = distinct && Set(reservoir.items).count == budget                 // no item twice
            for item in reservoir.items { kept[item] += 1 }
        }
        #expect(withinBudget && distinct)
        let frequencies = kept.map { Double($0) / Double(streams) }
        for (item, f) in frequencies.enumerated() { #expect(abs(f - 0.2) < 0.015, "item \(item) kept in \(f) of the streams") }
        // The first items (which fill the buffer) and the last (offered once the buffer is full) alike.
        let early = frequencies.prefix(budget).reduce(0, +) / Double(budget)
        let late = frequencies.suffix(budget).reduce(0, +) / Double(budget)
        #expect(abs(early - late) < 0.01)
    }

    @Test func samplesAreDistinctAndUniformOverTheBuffer() {
        var rng = SeededRNG(seed: 12)
        var reservoir = Reservoir<Int>(budget: 8)
        for item in 0..<8 { reservoir.offer(item, rng: &rng) }
        var drawn = [Int](repeating: 0, count: 8), distinct = true
        for _ in 0..<10_000 {
            let sample = reservoir.sample(2, rng: &rng)
            distinct = distinct && sample.count == 2 && sample[0] != sample[1]
            for item in sample { drawn[item] += 1 }
        }
        #expect(distinct)
        for count in drawn { #expect(abs(Double(count) / 10_000 - 0.25) < 0.02) }   // 2 of 8 per draw
        #expect(reservoir.sample(20, rng: &rng).count == 8)
        #expect(Reservoir<Int>(budget: 0).sample(3, rng: &rng).isEmpty)
    }

    @Test func laterBatchesMixInOneReplayedExamplePerFourNew() throws {
        let lm = try Tiny.model()
        var options = ReplayLoRA.Options()
        options.budget = 6
        let replay = ReplayLoRA(options: options)
        let trainer = ContinualTrainer(model: lm, strategy: replay, tasks: Tiny.tasks(count: 3), options: Tiny.options(),
                                       modelName: "tiny", benchmark: nil)
        var rng = SeededRNG(seed: 8)
        replay.attach(to: lm, taskCount: 3, rng: &rng)
        let context = TrainingContext(model: lm, options: Tiny.options(), tasks: trainer.tasks, rng: rng.fork())
        let task0 = trainer.tasks[0].train, task1 = trainer.tasks[1].train
        #expect(replay.mixedBatch(Array(task0.prefix(8)), context: context).count == 8)   // nothing to replay yet
        replay.endTask(0, context: context)
        #expect(replay.buffer.items.count == 6 && replay.buffer.seen == 16 && replay.buffer.items.allSatisfy { $0.task == 0 })
        for (new, replayed) in [(8, 2), (4, 1), (3, 1), (16, 4)] {
            let mixed = replay.mixedBatch(Array(task1.prefix(new)), context: context)
            #expect(mixed.count == new + replayed)
            #expect(mixed.prefix(new).map(\.promptIds) == task1.prefix(new).map(\.promptIds))
            #expect(mixed.dropFirst(new).allSatisfy { e in task0.contains { $0.promptIds == e.promptIds && $0.targetIds == e.targetIds } })
        }
        replay.endTask(1, context: context)
        #expect(replay.buffer.items.count == 6 && replay.buffer.seen == 32)
        var small = options
        small.budget = 2
        let tight = ReplayLoRA(options: small)
        tight.endTask(0, context: context)
        #expect(tight.mixedBatch(Array(task1.prefix(16)), context: context).count == 18)   // capped by the buffer
    }
}
