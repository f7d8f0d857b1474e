// Split-on-Share decisions on constructed scores.
import Testing
import SetaExperts
@testable import SetaContinual

@Suite struct SplitOnShareTests {
    @Test func percentileInterpolatesAsNumpy() {
        #expect(percentile([1, 2, 3, 4], 50) == 2.5)
        #expect(percentile([4, 1, 3, 2], 75) == 3.25)   // position 0.75 · 3 = 2.25 → 3 + 0.25 · 1
        #expect(percentile([7], 90) == 7)
    }

    @Test func firstTaskEveryBlockIsFree() {
        let states = splitOnShare(sensitivity: [0.1, 5, 0.2, 3], importance: [0, 0, 0, 0], options: SplitOnShareOptions())
        #expect(states == [.free, .free, .free, .free])
        var sparse = SplitOnShareOptions()
        sparse.firstTaskAllFree = false
        // τ_s = 50th percentile of [0.1, 5, 0.2, 3] = 1.6: blocks below it stay frozen.
        #expect(splitOnShare(sensitivity: [0.1, 5, 0.2, 3], importance: [0, 0, 0, 0], options: sparse) == [.frozen, .free, .frozen, .free])
    }

    @Test func percentileRule() {
        // s = [1 … 8]: τ_s (50th) = 4.5 → blocks 4…7 are needed by the new task.
        // Ω = [8, 1, 7, 2, 6, 3, 5, 4]: τ_Ω (75th) = 6.25 → blocks 0 and 2 matter most to earlier tasks.
        let s: [Double] = [1, 2, 3, 4, 5, 6, 7, 8], omega: [Double] = [8, 1, 7, 2, 6, 3, 5, 4]
        #expect(splitOnShare(sensitivity: s, importance: omega, options: SplitOnShareOptions())
                == [.frozen, .frozen, .frozen, .frozen, .shared, .shared, .shared, .shared])
        // Reversed sensitivity: the needed blocks 0…3 include the important 0 and 2 → those split.
        #expect(splitOnShare(sensitivity: s.reversed(), importance: omega, options: SplitOnShareOptions())
                == [.split, .shared, .split, .shared, .frozen, .frozen, .frozen, .frozen])
    }

    @Test func dynamicRuleSplitsOnlyAboveTheRunningMean() {
        var options = SplitOnShareOptions()
        options.rule = .dynamic
        options.dynamicMultiple = 2
        // q = (s / 4)(Ω / 4) = [0.25, 0.0625, 0.5625, 6.25]; bar = 2 × 1 → only block 3 splits; τ_s = 2.5 freezes 0, 1.
        let states = splitOnShare(sensitivity: [2, 1, 3, 10], importance: [2, 1, 3, 10], options: options, runningMean: 1)
        #expect(states == [.frozen, .frozen, .shared, .split])
    }
}
