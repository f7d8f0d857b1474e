// What every numeric hyper-parameter allows, declared beside the options it belongs to and checked before a model
// loads: `seta train --batch-size 0` or `--lr nan` is a one-line error naming the option, the value and what is
// allowed — never a crash, and never a whole stream trained into a run that cannot be written. Names are the
// long option names, as on the command line and in YAML (`train-per-task`). The property test over the options
// walks these lists (Tests/SetaCLITests/OptionValidationTests.swift).
//
// The bounds are what the code can run, not what is wise: an upper bound only where a larger value would exhaust
// memory or never finish (ranks, batch sizes, epochs), none where the value only selects (examples per task).

import Foundation

/// An option value outside what the option allows.
public struct OptionError: Error, Equatable, CustomStringConvertible, Sendable {
    public let option: String, value: String, allowed: String
    public init(option: String, value: String, allowed: String) {
        self.option = option; self.value = value; self.allowed = allowed
    }
    public var description: String { "--\(option) must be \(allowed), got \(value)" }
}

/// One numeric option: its long name, the interval it allows, and how to read it from an options value (nil: unset).
public struct NumericOption<Options>: @unchecked Sendable {
    public let name: String
    public let lower: Double, lowerIncluded: Bool, upper: Double
    public let isInteger: Bool
    public let value: (Options) -> Double?

    init(_ name: String, lower: Double, included: Bool = true, upper: Double = .infinity, isInteger: Bool,
         value: @escaping (Options) -> Double?) {
        self.name = name; self.lower = lower; lowerIncluded = included; self.upper = upper
        self.isInteger = isInteger; self.value = value
    }

    /// An integer option in lower…upper.
    public static func integer(_ name: String, _ path: KeyPath<Options, Int>, _ range: ClosedRange<Int>) -> Self {
        Self(name, lower: Double(range.lowerBound), upper: Double(range.upperBound), isInteger: true) {
            Double($0[keyPath: path])
        }
    }
    /// An optional integer option (nil: not given, e.g. "every example") in lower…upper when given.
    public static func integer(_ name: String, _ path: KeyPath<Options, Int?>, _ range: ClosedRange<Int>) -> Self {
        Self(name, lower: Double(range.lowerBound), upper: Double(range.upperBound), isInteger: true) {
            $0[keyPath: path].map(Double.init)
        }
    }
    /// An integer option of at least `lower`, with no upper bound.
    public static func integer(_ name: String, _ path: KeyPath<Options, Int?>, atLeast lower: Int) -> Self {
        Self(name, lower: Double(lower), isInteger: true) { $0[keyPath: path].map(Double.init) }
    }
    /// A finite number ≥ lower (or > lower when `above`), at most `upper`.
    public static func number(_ name: String, _ path: KeyPath<Options, Float>, atLeast lower: Double,
                              above: Bool = false, atMost upper: Double = .infinity) -> Self {
        Self(name, lower: lower, included: !above, upper: upper, isInteger: false) { Double($0[keyPath: path]) }
    }
    public static func number(_ name: String, _ path: KeyPath<Options, Double>, atLeast lower: Double,
                              above: Bool = false, atMost upper: Double = .infinity) -> Self {
        Self(name, lower: lower, included: !above, upper: upper, isInteger: false) { $0[keyPath: path] }
    }

    /// The same option read through `path` from a larger options value (a method's LoRA shape inside its options).
    public func lifted<Outer>(_ path: KeyPath<Outer, Options>) -> NumericOption<Outer> {
        let read = value
        return NumericOption<Outer>(name, lower: lower, included: lowerIncluded, upper: upper, isInteger: isInteger) {
            read($0[keyPath: path])
        }
    }

    /// "an integer in 1…4096", "a finite number ≥ 0", "a number > 0 and ≤ 10".
    public var allowed: String {
        func show(_ x: Double) -> String {
            (isInteger || x == x.rounded()) && x.magnitude < 0x1p62 ? String(Int(x)) : "\(x)"
        }
        let kind = isInteger ? "an integer" : "a finite number"
        if upper.isInfinite { return "\(kind) \(lowerIncluded ? "≥" : ">") \(show(lower))" }
        return lowerIncluded ? "\(kind) in \(show(lower))…\(show(upper))"
                             : "\(kind) > \(show(lower)) and ≤ \(show(upper))"
    }

    /// The value lies in the allowed interval (NaN and ±∞ never do).
    public func allows(_ x: Double) -> Bool {
        x.isFinite && (lowerIncluded ? x >= lower : x > lower) && x <= upper
    }

    public func check(_ options: Options) throws(OptionError) {
        guard let x = value(options), !allows(x) else { return }
        let shown = isInteger && x.magnitude < 0x1p62 ? String(Int(x))
            : isInteger ? String(format: "%.0f", x)
            : "\(Float(x))"
        throw OptionError(option: name, value: shown, allowed: allowed)
    }
}

/// Options whose numeric fields declare what they allow.
public protocol RangeCheckedOptions {
    static var numericOptions: [NumericOption<Self>] { get }
}

extension RangeCheckedOptions {
    /// The first option outside what it allows, as an error naming it.
    public func validate() throws(OptionError) {
        for option in Self.numericOptions { try option.check(self) }
    }
}

extension TrainingOptions: RangeCheckedOptions {
    public static let numericOptions: [NumericOption<TrainingOptions>] = [
        .integer("train-per-task", \.trainPerTask, atLeast: 1),
        .integer("test-per-task", \.testPerTask, atLeast: 1),
        .integer("epochs", \.epochs, 0...10_000),
        .integer("batch-size", \.batchSize, 1...4096),
        .integer("rows-per-forward", \.rowsPerForward, 1...4096),
        .integer("eval-batch-size", \.evalBatchSize, 1...4096),
        .number("lr", \.learningRate, atLeast: 0, above: true, atMost: 10),
        .integer("max-prompt-tokens", \.maxPromptTokens, 1...1_048_576),
    ]
}
