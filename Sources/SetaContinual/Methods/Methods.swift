// The registry of methods: each continual method declares once, in its own file, its `--method` name, a one-line
// summary, its options (OptionFields.swift) with their defaults, how to make it and how to restore it from a
// checkpoint. Everything else reads this list: the CLI's `--method` values and help, the option flags' help, YAML
// keys and config.yaml, validation before a model loads, `inspect`, resume and `predict`.
//
// Adding a method: one strategy file that ends with `static let method = ContinualMethod(…)`, and one line below.
import SetaModels

public enum Methods {
    /// Every method, in the order `--help` lists them (SETA, the baselines, the upper bounds).
    public static let all: [ContinualMethod] = [
        SETA.method,
        SeqLoRA.method,
        EWCLoRA.method,
        IncLoRA.method,
        OLoRA.method,
        ReplayLoRA.method,
        IndependentExperts.method,
        PerTaskLoRA.perTaskMethod,
        MultiTaskLoRA.method,
    ]

    /// The method `--method name` selects (nil: no such method).
    public static func named(_ name: String) -> ContinualMethod? { all.first { $0.name == name } }

    public static var names: [String] { all.map(\.name) }

    /// Every option of every method once, in registry order (an option several methods share, such as
    /// `lora-rank`, as its first method declares it).
    public static let options: [OptionDeclaration] = {
        var seen = Set<String>(), list: [OptionDeclaration] = []
        for method in all {
            for option in method.options where seen.insert(option.name).inserted { list.append(option) }
        }
        return list
    }()

    /// The methods that read option `name`, with their default of it.
    public static func defaults(of name: String) -> [(method: String, value: OptionValue?)] {
        all.compactMap { m in m.options.first { $0.name == name }.map { (m.name, $0.defaultValue) } }
    }

    /// The default of option `name`: "8", or per method where they differ, "8 (seq-lora, ewc); 16 (independent)"
    /// (among `methods` only, when given).
    public static func shownDefault(of name: String, among methods: [String]? = nil) -> String {
        var groups: [(value: String, methods: [String])] = []
        for (method, value) in defaults(of: name) where methods?.contains(method) ?? true {
            let shown = value?.description ?? "none"
            if let i = groups.firstIndex(where: { $0.value == shown }) { groups[i].methods.append(method) }
            else { groups.append((shown, [method])) }
        }
        if groups.count == 1 { return groups[0].value }
        return groups.map { "\($0.value) (\($0.methods.joined(separator: ", ")))" }.joined(separator: "; ")
    }

    /// `--help` for option `name`: its help line, its default (per method where they differ) and what it allows.
    public static func help(_ name: String) -> String {
        guard let option = options.first(where: { $0.name == name }) else {
            preconditionFailure("no method declares the option \(name)")
        }
        return "\(option.help) Default \(shownDefault(of: name)); allowed: \(option.allowed)."
    }

    /// Checks every given value against each method that reads it (not only the method chosen), so a value no
    /// method could run is refused however the run is configured.
    public static func validate(_ settings: [String: OptionValue]) throws(OptionError) {
        for method in all { _ = try method.resolvedOptions(settings) }
    }

    /// The value of every method option for a run of `method` with `settings`, for RUN/config.yaml: the method's
    /// own where it reads the option, else the first method's that does (nil: unset). Settings must validate.
    public static func resolved(_ settings: [String: OptionValue], method: ContinualMethod) -> [String: OptionValue?] {
        var values: [String: OptionValue?] = [:]
        for m in [method] + all {
            guard let resolved = try? m.resolvedOptions(settings) else { continue }
            for (name, value) in resolved where values[name] == nil { values[name] = .some(value) }
        }
        return values
    }
}

/// One option of a method, without the method's types: what the CLI, YAML, help and validation need.
public struct OptionDeclaration: @unchecked Sendable {
    public let name: String
    public let help: String
    public let kind: OptionKind
    public let allowed: String
    public let defaultValue: OptionValue?
    /// For a numeric option: whether a value lies in its interval.
    public let allows: ((Double) -> Bool)?
}

/// A continual method as the registry holds it.
public struct ContinualMethod: @unchecked Sendable {
    /// The `--method` name, also run.json's.
    public let name: String
    /// One line for `--help` and the README.
    public let summary: String
    public let options: [OptionDeclaration]
    /// The method's options with `settings` applied, as values by option name.
    let resolve: ([String: OptionValue]) throws(OptionError) -> [String: OptionValue?]
    let makeStrategy: ([String: OptionValue]) throws(OptionError) -> ContinualStrategy
    let restoreStrategy: (StrategyState, LanguageModel) throws -> ContinualStrategy

    /// A method whose options are `Options`: `make` builds it from options filled from the defaults and the given
    /// settings; `restore` rebuilds it from a checkpoint.
    public init<Options: DeclaredOptions>(
        name: String, summary: String, defaults: Options, make: @escaping (Options) -> ContinualStrategy,
        restore: @escaping (StrategyState, LanguageModel) throws -> ContinualStrategy
    ) {
        self.name = name; self.summary = summary
        let fields = Options.fields
        options = fields.map { f in
            OptionDeclaration(name: f.name, help: f.help, kind: f.kind, allowed: f.allowed,
                              defaultValue: f.read(defaults), allows: f.numeric.map { n in { n.allows($0) } })
        }
        func filled(_ settings: [String: OptionValue]) throws(OptionError) -> Options {
            var o = defaults
            for field in fields { if let value = settings[field.name] { try field.set(value, in: &o) } }
            try o.validate()
            try o.checkTogether()
            return o
        }
        resolve = { (settings: [String: OptionValue]) throws(OptionError) in
            let o = try filled(settings)
            return Dictionary(uniqueKeysWithValues: fields.map { ($0.name, $0.read(o)) })
        }
        makeStrategy = { (settings: [String: OptionValue]) throws(OptionError) in make(try filled(settings)) }
        restoreStrategy = restore
    }

    /// The strategy with the given option values (those of other methods ignored), each checked against what it
    /// allows — an error names the first that is not.
    public func make(_ settings: [String: OptionValue] = [:]) throws(OptionError) -> ContinualStrategy {
        try makeStrategy(settings)
    }

    /// The strategy a checkpoint stored (its options are in the checkpoint's manifest).
    public func restore(_ state: StrategyState, model: LanguageModel) throws -> ContinualStrategy {
        try restoreStrategy(state, model)
    }

    /// Every option of this method with `settings` applied.
    public func resolvedOptions(_ settings: [String: OptionValue]) throws(OptionError) -> [String: OptionValue?] {
        try resolve(settings)
    }

    /// Whether the method reads option `name`.
    public func reads(_ name: String) -> Bool { options.contains { $0.name == name } }
}
