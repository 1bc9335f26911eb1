"""A tiny, structurally valid pose landmarker bundle for the model-store tests.

No weights and no operators: just the tensor shapes and the metadata a real bundle has.
"""

from __future__ import annotations

from posture_cam.pose import bundle, bundle_writer


def tiny_tflite(input_shape: tuple[int, ...], output_shapes: tuple[tuple[int, ...], ...]) -> bytes:
    """A TFLite flatbuffer with the given input/output tensor shapes and nothing else."""
    import flatbuffers

    schemas = bundle.load_schemas()
    assert schemas is not None, "mediapipe's flatbuffers schemas must be installed"
    tfl = schemas.tflite
    tensors = []
    for index, shape in enumerate((input_shape, *output_shapes)):
        tensor = tfl.TensorT()
        tensor.shape = list(shape)
        tensor.type = tfl.TensorType.FLOAT32
        tensor.buffer = 0
        tensor.name = f"t{index}"
        tensors.append(tensor)
    graph = tfl.SubGraphT()
    graph.tensors = tensors
    graph.inputs = [0]
    graph.outputs = list(range(1, len(tensors)))
    graph.operators = []
    model = tfl.ModelT()
    model.version = 3
    model.subgraphs = [graph]
    model.buffers = [tfl.BufferT()]
    model.operatorCodes = []
    builder = flatbuffers.Builder(0)
    builder.Finish(model.Pack(builder), b"TFL3")
    return bytes(builder.Output())


def tiny_bundle_bytes(*, with_metadata: bool = True) -> bytes:
    schemas = bundle.load_schemas()
    assert schemas is not None
    detector = tiny_tflite(bundle.DETECTOR_INPUT, bundle.DETECTOR_OUTPUTS)
    landmarks = tiny_tflite(bundle.LANDMARKS_INPUT, bundle.LANDMARKS_OUTPUTS)
    if with_metadata:
        detector = bundle_writer.with_metadata(detector, bundle_writer.DETECTOR_METADATA, schemas)
        landmarks = bundle_writer.with_metadata(
            landmarks, bundle_writer.LANDMARKS_METADATA, schemas
        )
    return bundle_writer.aligned_stored_zip(
        ((bundle.DETECTOR_MEMBER, detector), (bundle.LANDMARKS_MEMBER, landmarks))
    )
