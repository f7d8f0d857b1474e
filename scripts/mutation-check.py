"""Mutation check of the SETA math suite and the option-validation property test: each mutation plants one plausible bug in SETA's code (or perturbs the
numpy reference), builds, runs `swift test --filter 'SETAMathTests|MetricsEdgeCaseTests|OptionValidationTests'`, and reports which tests failed; the sources are
restored afterwards (also on Ctrl-C). Every mutation must be caught by the test named beside it.
Run from the repository root on a clean tree:  python3 scripts/mutation-check.py [name ...]   (~20 s per mutation)
Update the mutations when the code they edit changes (an edit that no longer applies is reported, not skipped).
"""
import json, pathlib, subprocess, sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

# (name, test that must fail, [(file, text, replacement)])
MUTATIONS = [
    ('omega-split-not-decayed', 'omegaDecays', [('Sources/SetaContinual/Strategies/SETA.swift', 'o.data[i] = options.gamma * o.data[i] + (splitByTask ? 0 : f.data[i])', 'o.data[i] = splitByTask ? o.data[i] : options.gamma * o.data[i] + f.data[i]')]),
    ('omega-gamma-ignored', 'omegaDecays', [('Sources/SetaContinual/Strategies/SETA.swift', 'o.data[i] = options.gamma * o.data[i] + (splitByTask ? 0 : f.data[i])', 'o.data[i] = o.data[i] + (splitByTask ? 0 : f.data[i])')]),
    ('omega-hat-global-mean', 'omegaNormalised', [('Sources/SetaContinual/Strategies/SETA.swift', 'let total = blocks[p].reduce(0.0) { $0 + sum($1.omega.a.values) + sum($1.omega.b.values) }', 'let total = blocks.joined().reduce(0.0) { $0 + sum($1.omega.a.values) + sum($1.omega.b.values) } / Double(blocks.count)')]),
    ('probe-always-weighted', 'probeScoresTrained', [('Sources/SetaContinual/Strategies/SETA.swift', 'let untrained = bb.values.allSatisfy { $0 == 0 }', 'let untrained = false')]),
    ('probe-always-plain', 'probeScoresTrained', [('Sources/SetaContinual/Strategies/SETA.swift', 'let untrained = bb.values.allSatisfy { $0 == 0 }', 'let untrained = true')]),
    ('probe-ema-swapped', 'probeScoresTrained', [('Sources/SetaContinual/Strategies/SETA.swift', 'options.probeDecay * scores[p][b] + (1 - options.probeDecay) * score', '(1 - options.probeDecay) * scores[p][b] + options.probeDecay * score')]),
    ('probe-no-rank-reduction', 'probeSums', [('Sources/SetaContinual/Strategies/SETA.swift', "            context.reduceGradients(shared)                        // the batch's gradient, before |θ · g|\n", '')]),
    ('fisher-mean-not-sum-loglik', 'fisherIsTheMean', [('Sources/SetaContinual/Strategies/Strategy.swift', 'return scale(loss, Float(example.targetIds.count))', 'return loss')]),
    ('fisher-no-rank-sum', 'fisherOfTwoRanks', [('Sources/SetaContinual/Strategies/SETA.swift', 'context.sumOverRanks(fisher.flatMap { $0.flatMap { [$0.a, $0.b] } })', '')]),
    ('penalty-includes-split', 'anchoringPenalty', [('Sources/SetaContinual/Strategies/SETA.swift', 'for b in 0..<pool.shape.blocks where states[t][p][b] == .shared {', 'for b in 0..<pool.shape.blocks where states[t][p][b] != .frozen {')]),
    ('penalty-lambda-ignored', 'anchoringPenalty', [('Sources/SetaContinual/Strategies/SETA.swift', 'return add(lm, scale(penalty, options.lambda))', 'return add(lm, penalty)')]),
    ('split-original-trains', 'anchoringLeaves', [('Sources/SetaContinual/Strategies/SETA.swift', 'let trains = [.free, .shared].contains(states[t][p][b])', 'let trains = [.free, .shared, .split].contains(states[t][p][b])')]),
    ('split-dynamic-mean-before-task', 'split', [('Sources/SetaContinual/Strategies/SplitOnShare.swift', '    if omega.contains(where: { $0 > 0 }) {\n        running.sum', '    let meanBefore = running.mean\n    if omega.contains(where: { $0 > 0 }) {\n        running.sum'), ('Sources/SetaContinual/Strategies/SplitOnShare.swift', 'options: options, runningMean: running.mean)\n}', 'options: options, runningMean: meanBefore)\n}')]),
    ('split-dynamic-raw-products', 'splitDynamicRuleIgnoresTheScale', [('Sources/SetaContinual/Strategies/SplitOnShare.swift', '    return zip(s, omega).map { ($0 / ms) * ($1 / mo) }', '    return zip(s, omega).map { $0 * $1 }')]),
    ('split-percentile-tau-omega-from-s', 'splitPercentile', [('Sources/SetaContinual/Strategies/SplitOnShare.swift', 'let tauOmega = percentile(omega, options.importancePercentile)', 'let tauOmega = percentile(s, options.importancePercentile)')]),
    ('gate-shrink-trace-not-over-d', 'gate', [('Sources/SetaExperts/PrototypeGate.swift', 'let trace = (0..<d).reduce(0.0) { $0 + sigma[$1 * d + $1] } / Double(d)', 'let trace = (0..<d).reduce(0.0) { $0 + sigma[$1 * d + $1] }')]),
    ('gate-covariance-over-n', 'gateLDA', [('Sources/SetaExperts/PrototypeGate.swift', 'Double(max(total - means.count, 1))', 'Double(max(total, 1))')]),
    ('gate-temperature-ignored', 'gateSoft', [('Sources/SetaExperts/PrototypeGate.swift', 'exp((s[$0] - m) / options.temperature)', 'exp(s[$0] - m)')]),
    ('earlier-expert-routed-and-trains', 'anchoringLeaves', [('Sources/SetaContinual/Strategies/SETA.swift', 'pool.unique[t].parameters.forEach { $0.requiresGrad = true }', 'pool.unique.forEach { $0.parameters.forEach { $0.requiresGrad = true } }'), ('Sources/SetaContinual/Strategies/SETA.swift', 'routing.route(allTo: t, tasks: t + 1, sequences: batch.count)           // oracle route while training', 'routing.weights = Array(repeating: [Float](repeating: 1, count: t + 1), count: batch.count)')]),
    ('split-copy-aliases-original', 'anchoringLeaves', [('Sources/SetaExperts/ExpertPool.swift', 'unique[t].splits.append((b, sharedA[b].copy(), sharedB[b].copy()))', 'unique[t].splits.append((b, sharedA[b], sharedB[b]))')]),
    ('fgt-range-includes-the-last-task', 'metricsOfARunInProgress', [('Sources/SetaMetrics/AccuracyMatrix.swift', '(j..<t).map { l in a(l, j) - a(t, j) }', '(j...t).map { l in a(l, j) - a(t, j) }')]),
    ('one-task-bwt-zero', 'metricsOfAOneTask', [('Sources/SetaMetrics/AccuracyMatrix.swift', 'guard isSequential else { return nil }\n        let t = taskCount\n        let sum = (1..<t).reduce(0.0) { $0 + (a(t, $1) - a($1, $1)) }', 'guard isSequential else { return rows.count == 1 ? 0 : nil }\n        let t = taskCount\n        let sum = (1..<t).reduce(0.0) { $0 + (a(t, $1) - a($1, $1)) }')]),
    ('train-options-unvalidated', 'everyNumericTrainOption', [('Sources/SetaCLI/TrainCommands.swift', '            try training.options().validate()\n', '')]),
    ('method-options-unvalidated', 'everyNumericTrainOption', [('Sources/SetaContinual/Methods/Methods.swift', '            try o.validate()\n', '')]),
    ('generate-max-tokens-unchecked', 'otherCommandsRefuse', [('Sources/SetaCLI/ModelCommands.swift', '            try checkOption("max-tokens", maxTokens, 1...1_000_000)\n', '')]),
    ('gate-reference-perturbed', 'gateLDA', [('Tests/SETAMathTests/Fixtures/gate_reference.json', None, None)]),
]


def perturb_reference(text):
    """One LDA score of the numpy reference off by 1%."""
    data = json.loads(text)
    data["afterTask"][2]["scores"][0][1] *= 1.01
    return json.dumps(data, indent=1, sort_keys=True) + "\n"


def run(name, must_fail, edits):
    originals = {}
    try:
        for path, old, new in edits:
            f = ROOT / path
            text = originals.setdefault(f, f.read_text()) if f not in originals else f.read_text()
            if old is None:
                f.write_text(perturb_reference(text)); continue
            if text.count(old) != 1:
                return {"error": f"mutation no longer applies to {path}: {old[:60]!r}"}
            f.write_text(text.replace(old, new))
        build = subprocess.run(["swift", "build", "--build-tests"], cwd=ROOT, capture_output=True, text=True)
        if build.returncode != 0:
            return {"error": "build failed: " + " | ".join(l for l in build.stdout.splitlines() if "error:" in l)[:300]}
        test = subprocess.run(["swift", "test", "--skip-build", "--filter", "SETAMathTests|MetricsEdgeCaseTests|OptionValidationTests"], cwd=ROOT, capture_output=True, text=True)
        failed = sorted({l.split("Test ")[1].split("(")[0] for l in test.stdout.splitlines()
                         if l.startswith("\u2718 Test ") and "recorded an issue" in l})
        return {"failed": failed, "caught": any(must_fail in t for t in failed)}
    finally:
        for f, text in originals.items():
            f.write_text(text)


def main():
    only = set(sys.argv[1:])
    missed = 0
    for name, must_fail, edits in MUTATIONS:
        if only and name not in only:
            continue
        result = run(name, must_fail, edits)
        missed += not result.get("caught", False)
        print(f"{'caught' if result.get('caught') else 'MISSED'}  {name}: {json.dumps(result)}", flush=True)
    sys.exit(1 if missed else 0)


if __name__ == "__main__":
    main()
