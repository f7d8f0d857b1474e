// The registry of methods (SetaContinual/Methods): every method is reachable by its name, makes a strategy of
// that name with its declared defaults, and every option it declares sets what it says and refuses what it does
// not allow, naming itself.
import Foundation
import SetaContinual
import Testing

@Suite struct MethodRegistryTests {
    @Test func everyMethodIsFoundByItsNameAndMakesAStrategyOfThatName() throws {
        #expect(Methods.names == ["seta", "seq-lora", "ewc", "inc-lora", "olora", "replay", "independent", "per-task", "mtl"])
        #expect(Set(Methods.names).count == Methods.all.count)
        for method in Methods.all {
            #expect(Methods.named(method.name)?.name == method.name)
            let strategy = try method.make()
            #expect(strategy.name == method.name)
            #expect(!method.summary.isEmpty && !method.summary.contains("\n"))
            // The configuration recorded in results.json is the declared defaults' (the make path adds nothing).
            #expect(strategy.configuration == (try method.make([:])).configuration)
        }
        #expect(Methods.named("no-such-method") == nil)
    }

    /// Each option, set to a value other than its default, changes the strategy's recorded configuration; an
    /// option of another method changes nothing.
    @Test func everyOptionSetsWhatTheMethodRecords() throws {
        for method in Methods.all {
            let base = try method.make().configuration
            for option in method.options {
                // The first candidate the option allows together with the others' defaults (shared-blocks must
                // divide shared-rank) and that is not its default.
                let candidates: [OptionValue]
                switch option.kind {
                case .integer: candidates = [.int(3), .int(4), .int(2), .int(32)]
                case .float: candidates = [.float(0.375)]
                case .double: candidates = [.double(0.375)]
                case let .choice(names): candidates = names.map(OptionValue.text)
                case .list: candidates = [.text("k,o")]
                case .path: candidates = [.text("/tmp/adapters")]
                }
                let value = try #require(candidates.first { $0 != option.defaultValue && (try? method.make([option.name: $0])) != nil },
                                         "\(method.name) --\(option.name): no candidate value is allowed")
                let changed = try method.make([option.name: value])
                #expect(changed.configuration != base, "\(method.name) --\(option.name) \(value) changed nothing")
                let resolved = try method.resolvedOptions([option.name: value])
                #expect(resolved[option.name] == .some(value), "\(method.name) --\(option.name): read back \(String(describing: resolved[option.name]))")
            }
            let foreign = Methods.options.filter { !method.reads($0.name) && $0.kind == .integer }
            for option in foreign {
                #expect(try method.make([option.name: .int(3)]).configuration == base)
            }
        }
    }

    /// Every numeric option with 0, −1, NaN, ±∞ and huge values: `make` succeeds exactly when the declared range
    /// allows the value, and otherwise throws an error naming the option and the value.
    @Test func everyNumericOptionRefusesWhatItDoesNotAllow() {
        let values: [Double] = [0, -1, .nan, .infinity, -.infinity, 1e30, 2_147_483_648, 0.5, 1, 64]
        var refusals = 0
        for method in Methods.all {
            for option in method.options {
                guard let allows = option.allows else { continue }
                for x in values {
                    let value: OptionValue
                    switch option.kind {
                    case .integer:
                        guard x.isFinite, x == x.rounded(), x.magnitude < 0x1p62 else { continue }
                        value = .int(Int(x))
                    case .float: value = .float(Float(x))
                    default: value = .double(x)
                    }
                    do {
                        _ = try method.make([option.name: value])
                        #expect(allows(x), "\(method.name) --\(option.name) \(x) was accepted")
                    } catch where error.option != option.name || error.allowed != option.allowed {
                        // Allowed alone, refused with the other options' defaults (blocks that do not divide the rank).
                        #expect(allows(x) && method.options.contains { $0.name == error.option }, "\(error)")
                    } catch {
                        refusals += 1
                        #expect(!allows(x), "\(method.name) --\(option.name) \(x) was refused: \(error)")
                        #expect(error.description.hasPrefix("--\(option.name) must be"))
                    }
                }
            }
        }
        #expect(refusals > 50)
    }

    @Test func aChoiceOrListOutsideItsValuesIsRefusedWithWhatIsAllowed() throws {
        let seta = try #require(Methods.named("seta"))
        #expect(throws: OptionError(option: "split-rule", value: "median", allowed: "percentile or dynamic")) {
            try seta.make(["split-rule": .text("median")])
        }
        #expect(throws: OptionError.self) { try seta.make(["targets": .text("q,nope")]) }
        #expect(throws: OptionError.self) { try seta.make(["lambda": .text("strong")]) }
        // Validation looks at every method that reads an option, not only the one chosen.
        #expect(throws: OptionError.self) { try Methods.validate(["olora-norm": .text("cubed")]) }
        #expect(throws: Never.self) { try Methods.validate(["olora-norm": .text("absolute"), "lambda": .float(3)]) }
    }

    /// Options bounded by each other: the shared expert's blocks must divide its rank.
    @Test func sharedBlocksMustDivideTheSharedRank() throws {
        let seta = try #require(Methods.named("seta"))
        #expect(throws: OptionError(option: "shared-blocks", value: "3", allowed: "a divisor of --shared-rank (16)")) {
            try seta.make(["shared-blocks": .int(3)])
        }
        #expect(throws: OptionError.self) { try seta.make(["shared-rank": .int(12)]) }      // 8 blocks do not divide 12
        let strategy = try seta.make(["shared-rank": .int(12), "shared-blocks": .int(4), "gate-top-k": .int(2)])
        let options = try #require(strategy as? SETA).options
        #expect(options.pool.sharedRank == 12 && options.pool.blocks == 4 && options.pool.blockRank == 3)
        #expect(options.gate.topK == 2)
    }

    /// The help of an option says its default (per method where they differ) and what it allows.
    @Test func helpNamesDefaultsAndRanges() {
        #expect(Methods.help("lora-rank").contains("Default 8 (seq-lora, ewc, inc-lora, olora, replay, mtl); 16 (independent, per-task)"))
        #expect(Methods.help("lambda").hasSuffix("Default 1.0; allowed: a finite number ≥ 0."))
        #expect(Methods.help("split-rule").hasSuffix("Default percentile; allowed: percentile or dynamic."))
        #expect(Methods.help("init-adapters").contains("Default none"))
    }

    /// config.yaml's values: the method's own where it reads an option, the first reader's otherwise.
    @Test func resolvedValuesAreTheMethodsOwnOrTheFirstReadersDefault() throws {
        let independent = try #require(Methods.named("independent")), seta = try #require(Methods.named("seta"))
        #expect(Methods.resolved([:], method: independent)["lora-rank"] == .some(.int(16)))
        #expect(Methods.resolved([:], method: seta)["lora-rank"] == .some(.int(8)))
        #expect(Methods.resolved(["lora-rank": .int(4)], method: seta)["lora-rank"] == .some(.int(4)))
        #expect(Methods.resolved([:], method: seta)["init-adapters"] == .some(nil))
        #expect(Set(Methods.resolved([:], method: seta).keys) == Set(Methods.options.map(\.name)))
    }
}
