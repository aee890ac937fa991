"""Seed 003 (Velardo, "Deep Learning for Audio with Python"), its own code in Keras:
musikalkemist/DeepLearningForAudioWithPython, lectures 12 (extract_data.py save_mfcc),
13 (mlp_genre_classifier.py), 14 (solving_overfitting.py), 16 (cnn_genre_classifier.py) and
19 (lstm_genre_classifier.py). Keras' own initialisers, Adam (epsilon 1e-7), batch 32,
`model.fit(shuffle=True)`, sparse categorical cross-entropy, evaluated on the test part.

The split comes from the split file instead of `train_test_split` (same fractions, same
examples on both sides). Upstream uses Adam 1e-4 everywhere (and 100 epochs in lecture 14);
the lecture's text says 1e-3 for the MLP: --lr and --epochs select.
"""
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Timer, features_by_track, parser, parts, read_split, report, seed_everything  # noqa: E402

SAMPLE_RATE = 22050
TRACK_DURATION = 30
SAMPLES_PER_TRACK = SAMPLE_RATE * TRACK_DURATION
# (epochs, learning rate) of the upstream code
UPSTREAM = {"lecture-mlp": (50, 1e-4), "lecture-mlp-regularised": (100, 1e-4), "lecture-cnn": (30, 1e-4), "lecture-lstm": (30, 1e-4)}


def save_mfcc_track(path, num_mfcc=13, n_fft=2048, hop_length=512, num_segments=10):
    """extract_data.py save_mfcc for one file: fixed segments, short ones dropped."""
    import librosa
    import numpy as np

    samples_per_segment = int(SAMPLES_PER_TRACK / num_segments)
    num_mfcc_vectors_per_segment = math.ceil(samples_per_segment / hop_length)
    signal, sample_rate = librosa.load(path, sr=SAMPLE_RATE)
    out = []
    for d in range(num_segments):
        start = samples_per_segment * d
        finish = start + samples_per_segment
        mfcc = librosa.feature.mfcc(y=signal[start:finish], sr=sample_rate, n_mfcc=num_mfcc, n_fft=n_fft, hop_length=hop_length).T
        if len(mfcc) == num_mfcc_vectors_per_segment:
            out.append(mfcc)
    return np.stack(out) if out else np.zeros((0, num_mfcc_vectors_per_segment, num_mfcc))


def build(experiment, input_shape, n_classes):
    from tensorflow import keras

    if experiment in ("lecture-mlp", "lecture-mlp-regularised"):
        reg = experiment == "lecture-mlp-regularised"
        layers = [keras.layers.Flatten(input_shape=input_shape)]
        for units in (512, 256, 64):
            layers.append(keras.layers.Dense(units, activation="relu", kernel_regularizer=keras.regularizers.l2(0.001) if reg else None))
            if reg:
                layers.append(keras.layers.Dropout(0.3))
        layers.append(keras.layers.Dense(n_classes, activation="softmax"))
        return keras.Sequential(layers)
    if experiment == "lecture-cnn":
        model = keras.Sequential()
        model.add(keras.layers.Conv2D(32, (3, 3), activation="relu", input_shape=input_shape))
        model.add(keras.layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same"))
        model.add(keras.layers.BatchNormalization())
        model.add(keras.layers.Conv2D(32, (3, 3), activation="relu"))
        model.add(keras.layers.MaxPooling2D((3, 3), strides=(2, 2), padding="same"))
        model.add(keras.layers.BatchNormalization())
        model.add(keras.layers.Conv2D(32, (2, 2), activation="relu"))
        model.add(keras.layers.MaxPooling2D((2, 2), strides=(2, 2), padding="same"))
        model.add(keras.layers.BatchNormalization())
        model.add(keras.layers.Flatten())
        model.add(keras.layers.Dense(64, activation="relu"))
        model.add(keras.layers.Dropout(0.3))
        model.add(keras.layers.Dense(n_classes, activation="softmax"))
        return model
    if experiment == "lecture-lstm":
        model = keras.Sequential()
        model.add(keras.layers.LSTM(64, input_shape=input_shape, return_sequences=True))
        model.add(keras.layers.LSTM(64))
        model.add(keras.layers.Dense(64, activation="relu"))
        model.add(keras.layers.Dropout(0.3))
        model.add(keras.layers.Dense(n_classes, activation="softmax"))
        return model
    raise SystemExit(f"lecture_keras.py: unknown experiment {experiment}")


def main():
    args = parser(__doc__).parse_args()
    if args.threads:
        os.environ["TF_NUM_INTRAOP_THREADS"] = str(args.threads)
        os.environ["TF_NUM_INTEROP_THREADS"] = "1"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import numpy as np
    import tensorflow as tf
    from tensorflow import keras

    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    seed_everything(args.seed)
    keras.utils.set_random_seed(args.seed)
    epochs, lr = UPSTREAM[args.experiment]
    epochs = args.epochs or epochs
    lr = args.lr or lr
    timer = Timer()
    split = read_split(args.split_in)
    feats = features_by_track(split, "lecture-mfcc13", save_mfcc_track, args.cache)
    data = parts(split, feats)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data["train"], data["val"], data["test"]
    if args.experiment == "lecture-cnn":
        x_train, x_val, x_test = x_train[..., np.newaxis], x_val[..., np.newaxis] if len(x_val) else x_val, x_test[..., np.newaxis]
    # lectures 13/14 validate on the test part; 16/19 on a validation part carved from train
    validation = (x_val, y_val) if len(y_val) else (x_test, y_test)
    model = build(args.experiment, x_train.shape[1:], len(split["classes"]))
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, validation_data=validation, batch_size=32, epochs=epochs, verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
    report(
        side="reference", framework=f"keras {keras.__version__} (tensorflow {tf.__version__})", experiment=args.experiment,
        accuracy=float(test_acc), testLoss=float(test_loss), epochsRun=len(history.history["loss"]), epochs=epochs, lr=lr,
        trainAccuracy=float(history.history["accuracy"][-1]), seconds=timer.seconds(),
        counts={k: int(len(v[1])) for k, v in data.items()},
    )


if __name__ == "__main__":
    main()
