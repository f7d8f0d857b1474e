// Seeded selection of examples: training subsets and validation splits, reproducible from one seed.

/// SplitMix64 (Steele, Lea & Flood 2014): a tiny, fast 64-bit generator. Owned here so that subsets do not
/// depend on the standard library's shuffle algorithm or on global randomness.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (Lemire's multiply-shift with rejection, so no modulo bias).
    public mutating func below(_ bound: Int) -> Int {
        precondition(bound > 0, "below(\(bound)): the bound must be positive")
        let b = UInt64(bound)
        while true {
            let (high, low) = next().multipliedFullWidth(by: b)
            if low >= (0 &- b) % b { return Int(high) }
        }
    }
}

/// The indices `0..<n` in a seeded Fisher–Yates order.
public func seededPermutation(_ n: Int, seed: UInt64) -> [Int] {
    var rng = SplitMix64(seed: seed)
    var order = Array(0..<n)
    var i = n - 1
    while i > 0 {
        order.swapAt(i, rng.below(i + 1))
        i -= 1
    }
    return order
}

/// `count` examples drawn without replacement by a seeded shuffle, kept in their original order
/// (nil or a count ≥ `xs.count` returns `xs` unchanged). The same seed always gives the same subset, and a
/// smaller count from the same seed gives a subset of a larger one's.
public func seededSubset(_ xs: [Example], count: Int?, seed: UInt64) -> [Example] {
    guard let count, count < xs.count else { return xs }
    let chosen = seededPermutation(xs.count, seed: seed).prefix(max(0, count)).sorted()
    return chosen.map { xs[$0] }
}

/// Carves a validation split of `count` examples from `train` by a seeded shuffle; both parts keep their
/// original order. The count is clamped so that at least one training example remains.
public func validationSplit(train: [Example], count: Int, seed: UInt64) -> (train: [Example], validation: [Example]) {
    let k = min(max(0, count), max(0, train.count - 1))
    let held = Set(seededPermutation(train.count, seed: seed).prefix(k))
    var rest: [Example] = []
    var validation: [Example] = []
    for (i, e) in train.enumerated() {
        if held.contains(i) { validation.append(e) } else { rest.append(e) }
    }
    return (rest, validation)
}

/// Carves a validation split of `fraction` (0–1) of `train`, rounded to the nearest example.
public func validationSplit(train: [Example], fraction: Double,
                            seed: UInt64) -> (train: [Example], validation: [Example]) {
    let count = Int((min(max(fraction, 0), 1) * Double(train.count)).rounded())
    return validationSplit(train: train, count: count, seed: seed)
}

extension TaskData {
    /// The task with seeded subsets of its splits (`nil` keeps a split whole). Train and test draw from
    /// different streams of the same seed, so changing one count never changes the other split's subset.
    public func sampled(trainCount: Int?, testCount: Int?, seed: UInt64) -> TaskData {
        var t = self
        t.train = seededSubset(train, count: trainCount, seed: seed)
        t.test = seededSubset(test, count: testCount, seed: seed ^ 0x7E57_7E57_7E57_7E57)
        return t
    }
}
