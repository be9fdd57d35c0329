/* tfc — graphs as GraphDef protocol buffers.
 *
 * A serialized graph uses the message layouts and field numbers of
 * TensorFlow's GraphDef, NodeDef, AttrValue, TensorProto and
 * TensorShapeProto (the schema is src/io/proto/graph.proto), so tools that
 * read GraphDef read tfc graphs, e.g.
 *     protoc --decode=tensorflow.GraphDef tensorflow/core/framework/graph.proto < g.pb
 * Every op, attribute, constant value, control input and variable
 * registration (trainable flag, initializer, global step) round-trips, as do
 * random ops' seeds: an imported graph computes exactly what the original
 * does, and serializing an imported graph gives the same bytes again.
 *
 * Thread safety: serializing may run concurrently with other readers of the
 * graph; importing builds a graph (see graph.h: one thread, no session run).
 */
#ifndef TFC_GRAPH_DEF_H
#define TFC_GRAPH_DEF_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An owned, immutable byte buffer. */
typedef struct tfc_buffer tfc_buffer;

/* Lends the bytes (valid until tfc_buffer_free); NULL only for a NULL buffer. */
TFC_API const void *tfc_buffer_data(const tfc_buffer *b);
TFC_API size_t tfc_buffer_size(const tfc_buffer *b);
/* NULL is ignored. */
TFC_API void tfc_buffer_free(tfc_buffer *b);

/* Serializes g into a new buffer (free with tfc_buffer_free). Nodes come in
 * creation order (inputs before their users); the output is deterministic.
 * Fails with TFC_FAILED_PRECONDITION when g has a sticky error. */
TFC_API tfc_code tfc_graph_to_graph_def(const tfc_graph *g, tfc_buffer **out);

/* Adds the nodes of a serialized GraphDef to g. prefix NULL or "" imports
 * names as they are; otherwise every imported name becomes "prefix/name"
 * (name scopes pushed on g are not applied). Nodes may come in any order;
 * every node goes through the generic op builder, so shape functions check
 * everything. Variables are registered with their trainable flags and
 * initializers, a global step becomes g's global step when g has none, and
 * the graph seed is taken over when g has no ops yet.
 *
 * All or nothing: on any error g is left exactly as it was. Errors name the
 * node and attribute at fault: TFC_INVALID_ARGUMENT for malformed protobuf
 * or an inconsistent graph (unknown input, cycle, bad attribute),
 * TFC_NOT_FOUND for an unregistered op type, TFC_ALREADY_EXISTS when a name
 * is taken in g, TFC_UNIMPLEMENTED for GraphDef features tfc lacks
 * (functions, attribute kinds tfc has no use for; optional attributes,
 * whose names start with '_', of such kinds are dropped instead). */
TFC_API tfc_code tfc_graph_import_graph_def(tfc_graph *g, const void *data, size_t size, const char *prefix);

/* The same from a file; errors name the file. */
TFC_API tfc_code tfc_graph_import_graph_def_file(tfc_graph *g, const char *path, const char *prefix);

/* Writes tfc_graph_to_graph_def's bytes to path atomically (temporary file,
 * fsync, rename): a crash leaves the old file or the new one, never a mix. */
TFC_API tfc_code tfc_graph_write_graph_def_file(const tfc_graph *g, const char *path);

#ifdef __cplusplus
}
#endif
#endif
