/**
 * TorchScript: the code densenet4j generates for a network (float32, folded bf16, and the bf16 training module),
 * archives written with it ({@link org.densenet4j.script.TorchScriptExport}) and read back as data ({@link
 * org.densenet4j.script.TorchScriptArchive}), and the runtime that runs them in libtorch ({@link
 * org.densenet4j.script.ScriptedModel}); the int8 module, its calibration and runtime ({@link
 * org.densenet4j.script.Int8Model}).
 */
package org.densenet4j.script;
