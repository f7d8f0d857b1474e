// The methods' options on the command line. swift-argument-parser needs each flag as a stored property, so they
// are declared here, one line each, but their names, help, defaults, ranges and meaning are the registry's
// (SetaContinual/Methods): `fields` maps each flag to the option it sets, and OptionRegistryCLITests checks that
// every option of every method has exactly one flag here and one YAML key, and no flag names an unknown option.
import ArgumentParser
import SetaContinual

/// `--method NAME`: a method of the registry.
struct MethodName: ExpressibleByArgument, Equatable {
    let method: ContinualMethod
    init?(argument: String) {
        guard let method = Methods.named(argument) else { return nil }
        self.method = method
    }
    static var allValueStrings: [String] { Methods.names }
    static func == (a: Self, b: Self) -> Bool { a.name == b.name }
    var name: String { method.name }
    static let seta = MethodName(argument: "seta")!

    /// `--method`'s help: every method of the registry with its summary.
    static let help = ArgumentHelp(
        "The method: " + Methods.all.map { "\($0.name) — \($0.summary)" }.joined(separator: "; ")
            + " (SETA.md, Baselines). (default: seta)",
        valueName: "name")
}

struct MethodArguments: ParsableArguments {
    @Option(name: .customLong("lambda"), help: .init(Methods.help("lambda"))) var lambda: Float?
    @Option(help: .init(Methods.help("split-rule"), valueName: "percentile|dynamic")) var splitRule: String?
    @Option(help: .init(Methods.help("fisher-examples"))) var fisherExamples: Int?
    @Option(help: .init(Methods.help("probe-batches"))) var probeBatches: Int?
    @Option(help: .init(Methods.help("unique-rank"))) var uniqueRank: Int?
    @Option(help: .init(Methods.help("unique-init"), valueName: "zero|nearest")) var uniqueInit: String?
    @Option(help: .init(Methods.help("shared-rank"))) var sharedRank: Int?
    @Option(help: .init(Methods.help("shared-blocks"))) var sharedBlocks: Int?
    @Option(help: .init(Methods.help("expert-scale"))) var expertScale: Float?
    @Option(help: .init(Methods.help("sensitivity-percentile"))) var sensitivityPercentile: Double?
    @Option(help: .init(Methods.help("importance-percentile"))) var importancePercentile: Double?
    @Option(help: .init(Methods.help("dynamic-multiple"))) var dynamicMultiple: Double?
    @Option(help: .init(Methods.help("probe-decay"))) var probeDecay: Double?
    @Option(help: .init(Methods.help("gamma"))) var gamma: Float?
    @Option(help: .init(Methods.help("gate-shrinkage"))) var gateShrinkage: Double?
    @Option(help: .init(Methods.help("gate-top-k"))) var gateTopK: Int?
    @Option(help: .init(Methods.help("gate-temperature"))) var gateTemperature: Double?
    @Option(help: .init(Methods.help("lora-rank"))) var loraRank: Int?
    @Option(help: .init(Methods.help("lora-alpha"))) var loraAlpha: Float?
    @Option(help: .init(Methods.help("ewc-lambda"))) var ewcLambda: Float?
    @Option(help: .init(Methods.help("ewc-gamma"))) var ewcGamma: Float?
    @Option(help: .init(Methods.help("ewc-fisher-examples"))) var ewcFisherExamples: Int?
    @Option(help: .init(Methods.help("olora-lambda"))) var oloraLambda: Float?
    @Option(help: .init(Methods.help("olora-l2"))) var oloraL2: Float?
    @Option(help: .init(Methods.help("olora-norm"), valueName: "squared|absolute")) var oloraNorm: String?
    @Option(help: .init(Methods.help("replay-budget"))) var replayBudget: Int?
    @Option(help: .init(Methods.help("replay-ratio"))) var replayRatio: Double?
    @Option(help: .init(Methods.help("init-adapters"), valueName: "DIR")) var initAdapters: String?

    /// Where a flag's value is kept.
    enum Field {
        case int(WritableKeyPath<MethodArguments, Int?>), float(WritableKeyPath<MethodArguments, Float?>)
        case double(WritableKeyPath<MethodArguments, Double?>), text(WritableKeyPath<MethodArguments, String?>)
    }

    /// Every flag above by its option's name, in the order RUN/config.yaml lists them (`targets` is a training
    /// argument: TrainingArguments.swift).
    static let fields: [(name: String, field: Field)] = [
        ("lambda", .float(\.lambda)), ("split-rule", .text(\.splitRule)), ("fisher-examples", .int(\.fisherExamples)),
        ("probe-batches", .int(\.probeBatches)), ("unique-rank", .int(\.uniqueRank)),
        ("unique-init", .text(\.uniqueInit)),
        ("shared-rank", .int(\.sharedRank)), ("shared-blocks", .int(\.sharedBlocks)),
        ("expert-scale", .float(\.expertScale)),
        ("sensitivity-percentile", .double(\.sensitivityPercentile)),
        ("importance-percentile", .double(\.importancePercentile)), ("dynamic-multiple", .double(\.dynamicMultiple)),
        ("probe-decay", .double(\.probeDecay)), ("gamma", .float(\.gamma)),
        ("gate-shrinkage", .double(\.gateShrinkage)),
        ("gate-top-k", .int(\.gateTopK)), ("gate-temperature", .double(\.gateTemperature)),
        ("lora-rank", .int(\.loraRank)), ("lora-alpha", .float(\.loraAlpha)), ("ewc-lambda", .float(\.ewcLambda)),
        ("ewc-gamma", .float(\.ewcGamma)), ("ewc-fisher-examples", .int(\.ewcFisherExamples)),
        ("olora-lambda", .float(\.oloraLambda)), ("olora-l2", .float(\.oloraL2)), ("olora-norm", .text(\.oloraNorm)),
        ("replay-budget", .int(\.replayBudget)), ("replay-ratio", .double(\.replayRatio)),
        ("init-adapters", .text(\.initAdapters)),
    ]

    /// A name outside an option's fixed names (`--split-rule median`) is a usage error, as argument parsing makes
    /// it; numbers outside their range are checked before the model loads (exit 1, one line: Methods.validate).
    func validate() throws {
        for (name, value) in settings() {
            guard case .text = value, let kind = Methods.options.first(where: { $0.name == name })?.kind,
                  case .choice = kind else { continue }
            do { try Methods.validate([name: value]) } catch { throw ValidationError(error.description) }
        }
    }

    /// The options given, by name (for `ContinualMethod.make`).
    func settings() -> [String: OptionValue] {
        var settings: [String: OptionValue] = [:]
        for (name, field) in Self.fields {
            switch field {
            case let .int(p): if let v = self[keyPath: p] { settings[name] = .int(v) }
            case let .float(p): if let v = self[keyPath: p] { settings[name] = .float(v) }
            case let .double(p): if let v = self[keyPath: p] { settings[name] = .double(v) }
            case let .text(p): if let v = self[keyPath: p] { settings[name] = .text(v) }
            }
        }
        return settings
    }
}
