// swift-tools-version: 6.1
// Seta — continual learning of language models (SETA: Mixture of Sparse Experts for Task-Agnostic CL).
//
// Targets, bottom to top (arrows point down):
//   seta (CLI) ─► SetaContinual ─► SetaExperts ─► SetaModels ─► SetaTensor ─► CBLAS (OpenBLAS), CBF16
//        │             │                              └───────► SetaTokenizers
//        │             ├──────► SetaData
//        └► SetaReports ┴─────► SetaMetrics
//                      └──────► SetaDistributed ─► SetaTensor, CMPIShim (Open MPI, dlopened under mpirun only)
import PackageDescription

/// Hot kernels are built optimised even in debug builds (a debug kernel is ~700× slower), for a CPU with
/// AVX2 + FMA ("haswell" = x86-64-v3): without FMA, `addingProduct` becomes a libm call per lane.
/// `-O`, not `-Ounchecked`: shape preconditions stay on, so a wrong shape stops with a message instead of
/// reading out of bounds (hot loops run on unsafe pointers, so the checks cost little).
let kernelFlags: [SwiftSetting] = [
    .unsafeFlags(["-O", "-target-cpu", "haswell"]),
]

let package = Package(
    name: "Seta",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "seta", targets: ["SetaCLI"]),
        .executable(name: "seta-microbench", targets: ["SetaMicrobench"]),
        .library(name: "SetaTensor", targets: ["SetaTensor"]),
        .library(name: "SetaModels", targets: ["SetaModels"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // YAML for `seta train --config run.yaml` (the CLI only).
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // OpenBLAS through pkg-config (Debian: libopenblas-dev).
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Open MPI loaded at run time (dlopen of libmpi.so.40, handles by dlsym): no MPI headers or libraries at
        // build time; a process not started by mpirun never loads it.
        .target(name: "CMPIShim", linkerSettings: [.linkedLibrary("dl")]),
        // Data parallelism (the Horovod model): the communicator (one process, or Open MPI) and the bucketed
        // gradient all-reduce.
        .target(name: "SetaDistributed", dependencies: ["SetaTensor", "CMPIShim"], swiftSettings: kernelFlags),
        // bfloat16 products for frozen weights (AVX-512 BF16 in functions with their own target attribute, chosen at
        // run time); the rest built for x86-64-v3, optimised even in debug builds.
        .target(name: "CBF16", cSettings: [.unsafeFlags(["-O3", "-march=x86-64-v3"])]),
        // Tensor core: storage, ops with hand-written backward, autodiff, optimisers, RNG. Knows nothing of LMs.
        .target(
            name: "SetaTensor",
            dependencies: ["CBLAS", "CBF16"],
            swiftSettings: kernelFlags
        ),
        // Byte-level BPE tokenizers (tokenizer.json / GGUF vocabularies) and chat templates.
        .target(
            name: "SetaTokenizers",
            swiftSettings: kernelFlags
        ),
        // Layers, the Llama family, checkpoint loaders (GGUF, safetensors), generation.
        .target(
            name: "SetaModels",
            dependencies: ["SetaTensor", "SetaTokenizers"],
            swiftSettings: kernelFlags
        ),
        // Task streams: the data formats (O-LoRA CL_Benchmark, SuperNI, JSONL), prompts, named benchmarks, scoring.
        .target(name: "SetaData", swiftSettings: kernelFlags),
        // Continual-learning metrics, all derived from the accuracy matrix; the results.json record; JSONValue.
        .target(name: "SetaMetrics"),
        // What people look at: the comparison report of runs (text, Markdown, CSV, JSON), matrix tables, SVG plots.
        .target(name: "SetaReports", dependencies: ["SetaMetrics"]),
        // Adapters and experts: LoRA, SETA's expert pools (shared sub-blocks, unique experts), the gate.
        .target(name: "SetaExperts", dependencies: ["SetaModels", "SetaTensor"], swiftSettings: kernelFlags),
        // Continual methods, in rooms: Strategies/ (the protocol and one file per method), Methods/ (the registry),
        // Options/ (declared option groups), Training/ (trainer, one training step, evaluation, checkpoints, run
        // folders, resume), Inspection/ (`seta inspect`), Export/ (PEFT adapters, the peer replay export).
        .target(
            name: "SetaContinual",
            dependencies: ["SetaExperts", "SetaModels", "SetaTensor", "SetaData", "SetaMetrics", "SetaDistributed"],
            swiftSettings: kernelFlags
        ),
        .executableTarget(
            name: "SetaCLI",
            dependencies: [
                "SetaContinual",
                "SetaData",
                "SetaDistributed",
                "SetaExperts",
                "SetaMetrics",
                "SetaModels",
                "SetaReports",
                "SetaTensor",
                "SetaTokenizers",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // Micro-benchmarks of the core (GEMM, fused attention) and of the default model's forward — an executable, never a test.
        .executableTarget(
            name: "SetaMicrobench",
            dependencies: ["SetaModels", "SetaTensor", "SetaDistributed"],
            swiftSettings: kernelFlags
        ),
        // Seeded input mutations for the parser fuzz suites (the *FuzzTests files); test support, not a product.
        .target(name: "SetaFuzzing", dependencies: ["SetaTensor"], path: "Tests/SetaFuzzing"),
        // Why a suite may skip (a missing install step, a missing CPU feature) and SETA_REQUIRE_SUITES; test support.
        .target(name: "SetaTestSupport", path: "Tests/SetaTestSupport"),
        .testTarget(name: "SetaTensorTests", dependencies: ["SetaTensor", "SetaTestSupport"]),
        .testTarget(
            name: "SetaTokenizersTests",
            dependencies: ["SetaTokenizers", "SetaFuzzing", "SetaTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "SetaDataTests", dependencies: ["SetaData", "SetaFuzzing", "SetaTestSupport"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SetaMetricsTests", dependencies: ["SetaMetrics"]),
        .testTarget(name: "SetaReportsTests", dependencies: ["SetaReports", "SetaMetrics"], resources: [.copy("Fixtures")]),
        .testTarget(name: "SetaExpertsTests", dependencies: ["SetaExperts", "SetaModels", "SetaFuzzing", "SetaTestSupport"]),
        .testTarget(name: "SetaDistributedTests", dependencies: ["SetaDistributed", "SetaTensor"]),
        .testTarget(
            name: "SetaContinualTests",
            dependencies: ["SetaContinual", "SetaData", "SetaExperts", "SetaMetrics", "SetaModels", "SetaTensor",
                           "SetaFuzzing", "SetaTestSupport"]
        ),
        // SETA's own arithmetic (gate, probe, Ω, anchoring, Fisher, split rule) against independent computations.
        .testTarget(
            name: "SETAMathTests",
            dependencies: ["SetaContinual", "SetaData", "SetaDistributed", "SetaExperts", "SetaModels", "SetaTensor"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "SetaModelsTests",
            dependencies: ["SetaModels", "SetaTensor", "SetaTokenizers", "SetaFuzzing", "SetaTestSupport"],
            resources: [.copy("Fixtures")]
        ),
        // The `seta` executable end to end (train, config files, options, resume after a kill, export, inspect,
        // MPI, other CPUs under qemu): runs .build/debug/seta on the tiny fixture model.
        .testTarget(name: "SetaCLITests", dependencies: ["SetaContinual", "SetaModels", "SetaTensor", "SetaTestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
