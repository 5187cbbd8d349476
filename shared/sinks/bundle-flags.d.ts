/**
 * Which optional sinks a deployed function's bundle carries. The CDK app defines these at bundle time
 * from the sinks the function's instances use, so esbuild drops the others (the EventBridge client,
 * the XSOAR sink); where they are not defined (local runs, tests) every sink is present.
 * Read them only as `typeof FLAG !== 'undefined' && !FLAG`, which esbuild folds to a constant.
 */
declare const FERRY_BUNDLE_XSOAR_SINK: boolean | undefined;
declare const FERRY_BUNDLE_EVENTBRIDGE_SINK: boolean | undefined;
