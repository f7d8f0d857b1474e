// A method's hyper-parameters, each declared once: its long name (the flag `--lambda`, the YAML key `lambda:`, the
// config.yaml line), a one-line help, its kind, what it allows, and where it lives in the method's `Options`. The
// registry (Methods.swift) collects them; the CLI's flags, YAML keys, resolved config.yaml, `--help` lines and
// validation all read these declarations (MethodRegistryTests and OptionRegistryCLITests check every one).
import Foundation
import SetaExperts

/// A value of an option as it arrives from the command line or a YAML file.
public enum OptionValue: Equatable, Sendable, CustomStringConvertible {
    case int(Int), float(Float), double(Double), text(String)

    public var description: String {
        switch self {
        case let .int(i): return String(i)
        case let .float(f): return "\(f)"
        case let .double(d): return "\(d)"
        case let .text(s): return s
        }
    }
}

/// What an option holds, as the command line and YAML see it.
public enum OptionKind: Equatable, Sendable {
    /// Numbers: `Float` and `Double` are told apart so a value prints as it was stored (0.0005, not 0.000500000023).
    case integer, float, double
    /// One of fixed names.
    case choice([String])
    /// Names separated by commas (adapted projections).
    case list
    /// A file or folder (made absolute when read).
    case path
}

/// One option of `Options`: name, help, kind, range, and how to read and set it.
public struct OptionField<Options>: @unchecked Sendable {
    public let name: String
    public let help: String
    public let kind: OptionKind
    /// The allowed interval of a numeric option (nil for the other kinds).
    public let numeric: NumericOption<Options>?
    /// The option's value in `options` (nil: unset, e.g. no initial adapters).
    public let read: (Options) -> OptionValue?
    let write: (inout Options, OptionValue) throws(OptionError) -> Void

    /// Sets the option from a value of the command line or YAML; a value of the wrong kind is an error naming it.
    /// Ranges are checked once every option is set (`RangeCheckedOptions.validate`, as `ContinualMethod` does).
    public func set(_ value: OptionValue, in options: inout Options) throws(OptionError) {
        try write(&options, value)
    }

    /// "an integer in 1…1024", "percentile or dynamic".
    public var allowed: String { numeric?.allowed ?? Self.allowed(kind) }

    /// What a value of a non-numeric kind must be.
    static func allowed(_ kind: OptionKind) -> String {
        switch kind {
        case let .choice(names): return names.dropLast().joined(separator: ", ") + " or " + names.last!
        case .list: return "projections among q, k, v, o, gate, up, down (or *_proj), comma-separated, or all"
        case .path: return "a folder"
        case .integer: return "an integer"
        case .float, .double: return "a number"
        }
    }

    /// The same option read through `path` in a larger options value (the LoRA shape inside a method's options).
    public func lifted<Outer>(_ path: WritableKeyPath<Outer, Options>) -> OptionField<Outer> {
        let read = self.read, write = self.write
        return OptionField<Outer>(name: name, help: help, kind: kind, numeric: numeric?.lifted(path),
                                  read: { read($0[keyPath: path]) },
                                  write: { (outer: inout Outer, value: OptionValue) throws(OptionError) in
                                      try write(&outer[keyPath: path], value)
                                  })
    }

}

extension OptionField {
    /// An integer option in `range`.
    public static func integer(_ name: String, _ path: WritableKeyPath<Options, Int>, _ range: ClosedRange<Int>,
                               help: String) -> Self {
        Self(name: name, help: help, kind: .integer, numeric: .integer(name, path, range),
             read: { .int($0[keyPath: path]) },
             write: { (o: inout Options, v: OptionValue) throws(OptionError) in
                 guard case let .int(i) = v else {
                     throw OptionError(option: name, value: v.description, allowed: allowed(.integer))
                 }
                 o[keyPath: path] = i
             })
    }

    /// A finite `Float` ≥ lower (> lower when `above`), at most `upper`.
    public static func number(_ name: String, _ path: WritableKeyPath<Options, Float>, atLeast lower: Double,
                              above: Bool = false, atMost upper: Double = .infinity, help: String) -> Self {
        real(name, path, kind: .float, numeric: .number(name, path, atLeast: lower, above: above, atMost: upper),
             help: help, value: OptionValue.float)
    }

    /// A finite `Double` ≥ lower (> lower when `above`), at most `upper`.
    public static func number(_ name: String, _ path: WritableKeyPath<Options, Double>, atLeast lower: Double,
                              above: Bool = false, atMost upper: Double = .infinity, help: String) -> Self {
        real(name, path, kind: .double, numeric: .number(name, path, atLeast: lower, above: above, atMost: upper),
             help: help, value: OptionValue.double)
    }

    /// A real-number option of type F, set from any numeric value (an integer where a number goes, as YAML has it).
    private static func real<F: BinaryFloatingPoint>(
        _ name: String, _ path: WritableKeyPath<Options, F>, kind: OptionKind, numeric: NumericOption<Options>,
        help: String, value: @escaping (F) -> OptionValue
    ) -> Self {
        Self(name: name, help: help, kind: kind, numeric: numeric, read: { value($0[keyPath: path]) },
             write: { (o: inout Options, v: OptionValue) throws(OptionError) in
                 switch v {
                 case let .float(f): o[keyPath: path] = F(f)
                 case let .double(d): o[keyPath: path] = F(d)
                 case let .int(i): o[keyPath: path] = F(i)
                 case .text: throw OptionError(option: name, value: v.description, allowed: allowed(kind))
                 }
             })
    }

    /// One of the cases of `Choice`, by raw value.
    public static func choice<Choice: RawRepresentable & CaseIterable>(
        _ name: String, _ path: WritableKeyPath<Options, Choice>, help: String
    ) -> Self where Choice.RawValue == String {
        let names = Choice.allCases.map(\.rawValue)
        return Self(name: name, help: help, kind: .choice(names), numeric: nil,
                    read: { .text($0[keyPath: path].rawValue) },
                    write: { (o: inout Options, v: OptionValue) throws(OptionError) in
                        guard case let .text(s) = v, let choice = Choice(rawValue: s) else {
                            throw OptionError(option: name, value: v.description, allowed: allowed(.choice(names)))
                        }
                        o[keyPath: path] = choice
                    })
    }

    /// Adapted projections: "q,v", "q_proj,v_proj" or "all"; read back as short names ("q,v").
    public static func targets(_ name: String, _ path: WritableKeyPath<Options, [TargetProjection]>,
                               help: String) -> Self {
        Self(name: name, help: help, kind: .list, numeric: nil,
             read: { .text($0[keyPath: path].map { String($0.rawValue.dropLast(5)) }.joined(separator: ",")) },
             write: { (o: inout Options, v: OptionValue) throws(OptionError) in
                 guard case let .text(s) = v, let targets = try? TargetProjection.parse(s), !targets.isEmpty else {
                     throw OptionError(option: name, value: v.description, allowed: allowed(.list))
                 }
                 o[keyPath: path] = targets
             })
    }

    /// A folder, stored as an absolute path (relative to the working directory when given); unset by default.
    public static func path(_ name: String, _ path: WritableKeyPath<Options, String?>, help: String) -> Self {
        Self(name: name, help: help, kind: .path, numeric: nil,
             read: { $0[keyPath: path].map(OptionValue.text) },
             write: { (o: inout Options, v: OptionValue) throws(OptionError) in
                 guard case let .text(s) = v, !s.isEmpty else {
                     throw OptionError(option: name, value: v.description, allowed: allowed(.path))
                 }
                 o[keyPath: path] = URL(fileURLWithPath: s).standardizedFileURL.path
             })
    }
}

/// Options declared field by field: the numeric ranges follow from the fields.
public protocol DeclaredOptions: RangeCheckedOptions {
    static var fields: [OptionField<Self>] { get }
    /// What one field's range cannot say (one option bounded by another); checked after every field is set.
    func checkTogether() throws(OptionError)
}

extension DeclaredOptions {
    public static var numericOptions: [NumericOption<Self>] { fields.compactMap(\.numeric) }
    public func checkTogether() throws(OptionError) {}
}
