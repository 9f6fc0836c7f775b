<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>folio::app</name>
    <message>
        <source>No model directory chosen.</source>
        <translation>尚未选择模型目录。</translation>
    </message>
    <message>
        <source>%1 does not exist.</source>
        <translation>%1 不存在。</translation>
    </message>
    <message>
        <source>%1 has no tokenizer.json.</source>
        <translation>%1 中没有 tokenizer.json。</translation>
    </message>
    <message>
        <source>Automatic (GPU when available)</source>
        <translation>自动（有 GPU 时使用 GPU）</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>No CUDA device: %1</source>
        <translation>没有 CUDA 设备：%1</translation>
    </message>
    <message>
        <source>This build has no CUDA backend.</source>
        <translation>此版本未包含 CUDA 后端。</translation>
    </message>
    <message>
        <source>Remote endpoint</source>
        <translation>远程端点</translation>
    </message>
    <message>
        <source>Remote</source>
        <translation>远程</translation>
    </message>
    <message>
        <source>Auto</source>
        <translation>自动</translation>
    </message>
</context>
<context>
    <name>folio::app::InferenceService</name>
    <message>
        <source>No model is loaded.</source>
        <translation>尚未加载模型。</translation>
    </message>
</context>
<context>
    <name>folio::app::IngestService</name>
    <message>
        <source>p. %1</source>
        <translation>第 %1 页</translation>
    </message>
    <message>
        <source>p. %1 (%2)</source>
        <translation>第 %1 页（%2）</translation>
    </message>
    <message>
        <source> — no text (scanned?)</source>
        <translation> — 无文本（扫描件？）</translation>
    </message>
    <message numerus="yes">
        <source>Skipped (%n)</source>
        <translation>
            <numerusform>已跳过（%n）</numerusform>
        </translation>
    </message>
    <message>
        <source>Reading repository %1…</source>
        <translation>正在读取仓库 %1…</translation>
    </message>
    <message numerus="yes">
        <source>Reading %n document(s)…</source>
        <translation>
            <numerusform>正在读取 %n 个文档…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Reading %n file(s) and folder(s)…</source>
        <translation>
            <numerusform>正在读取 %n 个文件和文件夹…</numerusform>
        </translation>
    </message>
    <message>
        <source>Counting tokens…</source>
        <translation>正在统计词元…</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>完成</translation>
    </message>
    <message>
        <source>Reading sources…</source>
        <translation>正在读取来源…</translation>
    </message>
    <message>
        <source>Restoring the session&apos;s sources…</source>
        <translation>正在恢复会话的来源…</translation>
    </message>
</context>
<context>
    <name>folio::app::RemoteAnswerBackend</name>
    <message>
        <source>remote: %1</source>
        <translation>远程：%1</translation>
    </message>
    <message>
        <source>Answers come from %1 (%2).</source>
        <translation>回答来自 %1（%2）。</translation>
    </message>
    <message>
        <source>local server %1 (pid %2)</source>
        <translation>本地服务器 %1（pid %2）</translation>
    </message>
    <message>
        <source>Using the running Folio server at %1 (pid %2): the model is not loaded a second time.</source>
        <translation>正在使用 %1 上运行的 Folio 服务器（pid %2）：模型不会再加载一份。</translation>
    </message>
    <message>
        <source>An answer is already running.</source>
        <translation>已有一个回答正在进行。</translation>
    </message>
    <message>
        <source>The remote endpoint needs a URL and a model name (Settings → Model).</source>
        <translation>远程端点需要 URL 和模型名称（设置 → 模型）。</translation>
    </message>
</context>
<context>
    <name>folio::app::SessionController</name>
    <message>
        <source>Storage: %1</source>
        <translation>存储：%1</translation>
    </message>
    <message>
        <source>New session</source>
        <translation>新会话</translation>
    </message>
    <message>
        <source>No model is loaded. Choose one in Settings.</source>
        <translation>尚未加载模型。请在设置中选择一个。</translation>
    </message>
    <message>
        <source>Some sources of this session could not be read again: %1</source>
        <translation>此会话的部分来源无法重新读取：%1</translation>
    </message>
</context>
<context>
    <name>folio::app::SessionSources</name>
    <message>
        <source>the stored options of %1 are not valid JSON</source>
        <translation>%1 保存的选项不是有效的 JSON</translation>
    </message>
    <message>
        <source>unknown kind of source &quot;%1&quot; (%2)</source>
        <translation>未知的来源类型“%1”（%2）</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <source>%1 needs its password; using the text stored with the session</source>
        <translation>%1 需要密码；改用随会话保存的文本</translation>
    </message>
    <message>
        <source>%1 could not be read (%2); using the text stored with the session</source>
        <translation>无法读取 %1（%2）；改用随会话保存的文本</translation>
    </message>
    <message>
        <source>%1 changed since it was added; using the text stored with the session</source>
        <translation>%1 在添加后已更改；改用随会话保存的文本</translation>
    </message>
    <message>
        <source>%1 moved or was deleted; using the text stored with the session</source>
        <translation>%1 已被移动或删除；改用随会话保存的文本</translation>
    </message>
    <message>
        <source>%1: no text was stored with the session (%2)</source>
        <translation>%1：会话中没有保存文本（%2）</translation>
    </message>
    <message>
        <source>nothing was read</source>
        <translation>未读取到任何内容</translation>
    </message>
    <message>
        <source>%1 changed since it was added</source>
        <translation>%1 在添加后已更改</translation>
    </message>
</context>
<context>
    <name>folio::app::SessionsModel</name>
    <message>
        <source>Untitled session</source>
        <translation>未命名会话</translation>
    </message>
    <message>
        <source>Last used %1</source>
        <translation>上次使用：%1</translation>
    </message>
</context>
<context>
    <name>folio::app::SourcesModel</name>
    <message>
        <source>%1 — %2</source>
        <translation>%1 — %2</translation>
    </message>
    <message>
        <source>Skipped: %1</source>
        <translation>已跳过：%1</translation>
    </message>
    <message>
        <source>%1: %L2 tokens</source>
        <translation>%1：%L2 个词元</translation>
    </message>
    <message>
        <source>%1, skipped: %2</source>
        <translation>%1，已跳过：%2</translation>
    </message>
    <message>
        <source>%1, %L2 tokens</source>
        <translation>%1，%L2 个词元</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>词元</translation>
    </message>
</context>
<context>
    <name>folio::app::StorageService</name>
    <message>
        <source>The database is not open.</source>
        <translation>数据库未打开。</translation>
    </message>
</context>
<context>
    <name>folio::ui::ChatView</name>
    <message>
        <source>Conversation</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Add a repository or documents, then ask a question about them.</source>
        <translation>添加一个仓库或文档，然后就它们提问。</translation>
    </message>
    <message>
        <source>Folio</source>
        <translation>Folio</translation>
    </message>
    <message>
        <source>You</source>
        <translation>你</translation>
    </message>
    <message>
        <source>Edit and resend</source>
        <translation>编辑并重新发送</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message numerus="yes">
        <source>Thinking (%n words)</source>
        <translation>
            <numerusform>思考过程（%n 个词）</numerusform>
        </translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>正在思考…</translation>
    </message>
    <message>
        <source>Writing…</source>
        <translation>正在生成…</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>已停止。</translation>
    </message>
    <message>
        <source>The answer failed:</source>
        <translation>回答失败：</translation>
    </message>
    <message>
        <source>%L1 prompt tokens</source>
        <translation>提示 %L1 个词元</translation>
    </message>
    <message>
        <source>first token after %L1 s</source>
        <translation>首个词元用时 %L1 秒</translation>
    </message>
    <message>
        <source>%L1 tokens/s</source>
        <translation>%L1 词元/秒</translation>
    </message>
    <message>
        <source>snapshot reused</source>
        <translation>已复用快照</translation>
    </message>
    <message>
        <source>no snapshot reused</source>
        <translation>未复用快照</translation>
    </message>
    <message numerus="yes">
        <source>%n unverified citation(s)</source>
        <translation>
            <numerusform>%n 处引用未经验证</numerusform>
        </translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>重新生成</translation>
    </message>
    <message>
        <source>Unverified citation %1: %2</source>
        <translation>未经验证的引用 %1：%2</translation>
    </message>
    <message>
        <source>Copied the code block.</source>
        <translation>已复制代码块。</translation>
    </message>
    <message>
        <source>Copied the message.</source>
        <translation>已复制消息。</translation>
    </message>
</context>
<context>
    <name>folio::ui::CodeViewer</name>
    <message>
        <source>Code viewer</source>
        <translation>代码查看器</translation>
    </message>
    <message>
        <source>Source text</source>
        <translation>源代码文本</translation>
    </message>
    <message>
        <source>Find in file</source>
        <translation>在文件中查找</translation>
    </message>
    <message>
        <source>Find…</source>
        <translation>查找…</translation>
    </message>
    <message>
        <source>Previous match</source>
        <translation>上一个匹配</translation>
    </message>
    <message>
        <source>Previous match (Shift+Enter)</source>
        <translation>上一个匹配（Shift+Enter）</translation>
    </message>
    <message>
        <source>Next match</source>
        <translation>下一个匹配</translation>
    </message>
    <message>
        <source>Next match (Enter)</source>
        <translation>下一个匹配（Enter）</translation>
    </message>
    <message>
        <source>File path</source>
        <translation>文件路径</translation>
    </message>
    <message>
        <source>Cannot open %1: %2</source>
        <translation>无法打开 %1：%2</translation>
    </message>
    <message>
        <source>
… (truncated: the file is larger than %L1 MiB)</source>
        <translation>
…（已截断：文件大于 %L1 MiB）</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>未找到</translation>
    </message>
</context>
<context>
    <name>folio::ui::MainWindow</name>
    <message>
        <source>Folio</source>
        <translation>Folio</translation>
    </message>
    <message>
        <source>Sources and viewer</source>
        <translation>来源与查看器</translation>
    </message>
    <message>
        <source>Main areas</source>
        <translation>主要区域</translation>
    </message>
    <message>
        <source>Could not add the source: %1</source>
        <translation>无法添加来源：%1</translation>
    </message>
    <message>
        <source>Added %1: %2 items, %3 skipped, in %4 s (%5 items/s)</source>
        <translation>已添加 %1：%2 项，跳过 %3 项，用时 %4 秒（每秒 %5 项）</translation>
    </message>
    <message>
        <source>The session database could not be opened: %1</source>
        <translation>无法打开会话数据库：%1</translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation>对话</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>问题</translation>
    </message>
    <message>
        <source>Ask about your sources… (Ctrl+Enter sends)</source>
        <translation>就你的来源提问…（Ctrl+Enter 发送）</translation>
    </message>
    <message>
        <source>&amp;Think</source>
        <translation>思考(&amp;T)</translation>
    </message>
    <message>
        <source>Think before answering</source>
        <translation>回答前先思考</translation>
    </message>
    <message>
        <source>Let the model reason before it answers (slower, better on hard questions)</source>
        <translation>让模型在回答前先推理（较慢，但难题效果更好）</translation>
    </message>
    <message>
        <source>Resend</source>
        <translation>重新发送</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Send question</source>
        <translation>发送问题</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Stop the answer</source>
        <translation>停止回答</translation>
    </message>
    <message>
        <source>Reading progress</source>
        <translation>读取进度</translation>
    </message>
    <message>
        <source>Editing a question: sending makes a new branch. Esc cancels.</source>
        <translation>正在编辑问题：发送后将创建新分支。按 Esc 取消。</translation>
    </message>
    <message>
        <source>Editing a question</source>
        <translation>正在编辑问题</translation>
    </message>
    <message>
        <source>Conversation area</source>
        <translation>对话区域</translation>
    </message>
    <message>
        <source>Viewer</source>
        <translation>查看器</translation>
    </message>
    <message>
        <source>Click a file, a page or a citation to view it here.</source>
        <translation>点击文件、页面或引用，即可在此查看。</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;New Session</source>
        <translation>新建会话(&amp;N)</translation>
    </message>
    <message>
        <source>Open &amp;Repository…</source>
        <translation>打开仓库(&amp;R)…</translation>
    </message>
    <message>
        <source>Add &amp;Documents…</source>
        <translation>添加文档(&amp;D)…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>设置(&amp;S)…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Conversation</source>
        <translation>对话(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Send Question</source>
        <translation>发送问题(&amp;S)</translation>
    </message>
    <message>
        <source>S&amp;top Answer</source>
        <translation>停止回答(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Regenerate Answer</source>
        <translation>重新生成回答(&amp;R)</translation>
    </message>
    <message>
        <source>Toggle &amp;Thinking</source>
        <translation>切换思考模式(&amp;T)</translation>
    </message>
    <message>
        <source>&amp;Copy Conversation</source>
        <translation>复制对话(&amp;C)</translation>
    </message>
    <message>
        <source>Copied the conversation.</source>
        <translation>已复制对话。</translation>
    </message>
    <message>
        <source>Re&amp;name Session</source>
        <translation>重命名会话(&amp;N)</translation>
    </message>
    <message>
        <source>&amp;Delete Session</source>
        <translation>删除会话(&amp;D)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>Search &amp;Sessions</source>
        <translation>搜索会话(&amp;S)</translation>
    </message>
    <message>
        <source>Focus Session &amp;List</source>
        <translation>聚焦会话列表(&amp;L)</translation>
    </message>
    <message>
        <source>Focus &amp;Question</source>
        <translation>聚焦问题输入框(&amp;Q)</translation>
    </message>
    <message>
        <source>Focus S&amp;ources</source>
        <translation>聚焦来源(&amp;O)</translation>
    </message>
    <message>
        <source>Focus &amp;Viewer</source>
        <translation>聚焦查看器(&amp;V)</translation>
    </message>
    <message>
        <source>Focus &amp;Conversation</source>
        <translation>聚焦对话(&amp;C)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Keyboard Shortcuts</source>
        <translation>键盘快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;About Folio</source>
        <translation>关于 Folio(&amp;A)</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>设备</translation>
    </message>
    <message>
        <source>Memory in use</source>
        <translation>已用内存</translation>
    </message>
    <message>
        <source>Context used</source>
        <translation>已用上下文</translation>
    </message>
    <message>
        <source>The model could not be loaded: %1</source>
        <translation>无法加载模型：%1</translation>
    </message>
    <message>
        <source>Reading the sources: %1 / %2 tokens, %3 tokens/s, about %4 s left (Esc stops)</source>
        <translation>正在读取来源：%1 / %2 个词元，%3 词元/秒，约剩 %4 秒（按 Esc 停止）</translation>
    </message>
    <message>
        <source>No model</source>
        <translation>无模型</translation>
    </message>
    <message>
        <source>Demo model (random weights)</source>
        <translation>演示模型（随机权重）</translation>
    </message>
    <message>
        <source>Remote: %1</source>
        <translation>远程：%1</translation>
    </message>
    <message>
        <source> (not loaded)</source>
        <translation>（未加载）</translation>
    </message>
    <message>
        <source>Memory: %1</source>
        <translation>内存：%1</translation>
    </message>
    <message>
        <source>Memory: —</source>
        <translation>内存：—</translation>
    </message>
    <message>
        <source>Context: %1 / %2</source>
        <translation>上下文：%1 / %2</translation>
    </message>
    <message>
        <source>Add Documents</source>
        <translation>添加文档</translation>
    </message>
    <message>
        <source>Documents (*.pdf *.txt *.md *.markdown *.rst);;PDF (*.pdf);;All files (*)</source>
        <translation>文档 (*.pdf *.txt *.md *.markdown *.rst);;PDF (*.pdf);;所有文件 (*)</translation>
    </message>
    <message numerus="yes">
        <source>%n documents</source>
        <translation>
            <numerusform>%n 个文档</numerusform>
        </translation>
    </message>
    <message>
        <source>The password was wrong. Password for %1:</source>
        <translation>密码错误。请输入 %1 的密码：</translation>
    </message>
    <message>
        <source>%1 is encrypted. Password:</source>
        <translation>%1 已加密。密码：</translation>
    </message>
    <message>
        <source>Encrypted PDF</source>
        <translation>加密的 PDF</translation>
    </message>
    <message>
        <source>%1 is not among the loaded sources.</source>
        <translation>%1 不在已加载的来源中。</translation>
    </message>
    <message>
        <source>Panels</source>
        <translation>面板</translation>
    </message>
    <message>
        <source>Find in the code viewer</source>
        <translation>在代码查看器中查找</translation>
    </message>
    <message>
        <source>Rename the selected session</source>
        <translation>重命名所选会话</translation>
    </message>
    <message>
        <source>Delete the selected session</source>
        <translation>删除所选会话</translation>
    </message>
    <message>
        <source>Move between controls</source>
        <translation>在控件之间移动</translation>
    </message>
    <message>
        <source>Keyboard Shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>About Folio</source>
        <translation>关于 Folio</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Folio %1&lt;/h3&gt;&lt;p&gt;Ask questions about whole repositories and long documents with DeepSeek-V4-Flash running on your own machine.&lt;/p&gt;&lt;p&gt;%2&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Folio %1&lt;/h3&gt;&lt;p&gt;在你自己的机器上运行 DeepSeek-V4-Flash，就整个代码仓库和长篇文档提问。&lt;/p&gt;&lt;p&gt;%2&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Loading the model from %1…</source>
        <translation>正在从 %1 加载模型…</translation>
    </message>
    <message>
        <source>Loaded %1.</source>
        <translation>已加载 %1。</translation>
    </message>
    <message>
        <source>&amp;Clone Repository from URL…</source>
        <translation>从 URL 克隆仓库(&amp;C)…</translation>
    </message>
    <message>
        <source>Open Repository</source>
        <translation>打开仓库</translation>
    </message>
    <message>
        <source>Waiting for the endpoint… (Esc stops)</source>
        <translation>正在等待端点…（Esc 停止）</translation>
    </message>
    <message>
        <source>Preparing the prompt: reusing a kept or stored state of the sources when one matches… (Esc stops)</source>
        <translation>正在准备提示：如有匹配，复用内存中或已存储的来源状态…（Esc 停止）</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/秒</translation>
    </message>
    <message>
        <source>Restoring the stored state: %1 of %2, %3</source>
        <translation>正在恢复已保存的状态：%1 / %2，%3</translation>
    </message>
    <message>
        <source>Saving the state for the next question: %1 written, %2</source>
        <translation>正在为下一个问题保存状态：已写入 %1，%2</translation>
    </message>
</context>
<context>
    <name>folio::ui::OpenRepositoryDialog</name>
    <message>
        <source>Open Repository</source>
        <translation>打开仓库</translation>
    </message>
    <message>
        <source>Open repository</source>
        <translation>打开仓库</translation>
    </message>
    <message>
        <source>Repository folder or URL</source>
        <translation>仓库文件夹或 URL</translation>
    </message>
    <message>
        <source>/path/to/repository or https://host/repo.git</source>
        <translation>/仓库/路径 或 https://host/repo.git</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Choose the repository folder</source>
        <translation>选择仓库文件夹</translation>
    </message>
    <message>
        <source>Branch, tag or commit</source>
        <translation>分支、标签或提交</translation>
    </message>
    <message>
        <source>HEAD (the checked-out commit)</source>
        <translation>HEAD（当前检出的提交）</translation>
    </message>
    <message>
        <source>Read the &amp;working tree (include uncommitted changes)</source>
        <translation>读取工作区（包括未提交的更改）(&amp;W)</translation>
    </message>
    <message>
        <source>Read the working tree</source>
        <translation>读取工作区</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>打开(&amp;O)</translation>
    </message>
    <message>
        <source>&amp;Repository:</source>
        <translation>仓库(&amp;R)：</translation>
    </message>
    <message>
        <source>Re&amp;vision:</source>
        <translation>版本(&amp;V)：</translation>
    </message>
    <message>
        <source>Choose a folder inside a git repository, or paste a URL to clone.</source>
        <translation>选择 git 仓库中的一个文件夹，或粘贴要克隆的 URL。</translation>
    </message>
    <message>
        <source>%1 does not exist.</source>
        <translation>%1 不存在。</translation>
    </message>
    <message>
        <source>&amp;Branch or tag:</source>
        <translation>分支或标签(&amp;B)：</translation>
    </message>
    <message>
        <source>Recent &amp;commits:</source>
        <translation>最近的提交(&amp;C)：</translation>
    </message>
    <message>
        <source>Branch or tag</source>
        <translation>分支或标签</translation>
    </message>
    <message>
        <source>Recent commits</source>
        <translation>最近的提交</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Author</source>
        <translation>作者</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>日期</translation>
    </message>
    <message>
        <source>Commit</source>
        <translation>提交</translation>
    </message>
    <message>
        <source>Reading the branches and commits of %1…</source>
        <translation>正在读取 %1 的分支和提交…</translation>
    </message>
    <message>
        <source>HEAD (detached)</source>
        <translation>HEAD（分离）</translation>
    </message>
    <message>
        <source>HEAD (%1)</source>
        <translation>HEAD（%1）</translation>
    </message>
    <message>
        <source>branch %1</source>
        <translation>分支 %1</translation>
    </message>
    <message>
        <source>tag %1</source>
        <translation>标签 %1</translation>
    </message>
    <message>
        <source>%1 (HEAD)</source>
        <translation>%1（HEAD）</translation>
    </message>
    <message>
        <source>The repository will be cloned into Folio&apos;s cache first; type a branch, tag or commit, or leave the revision empty for its HEAD.</source>
        <translation>仓库会先克隆到 Folio 的缓存中；请输入分支、标签或提交，留空则使用其 HEAD。</translation>
    </message>
    <message>
        <source>A bare repository has no working tree.</source>
        <translation>裸仓库没有工作树。</translation>
    </message>
    <message>
        <source>The repository has no commits yet; read its working tree.</source>
        <translation>该仓库还没有提交；请读取其工作树。</translation>
    </message>
    <message numerus="yes">
        <source>%n branch(es), %1 tag(s); pick a branch, tag or commit, or leave the revision empty for HEAD.</source>
        <translation>
            <numerusform>%n 个分支，%1 个标签；请选择分支、标签或提交，留空则使用 HEAD。</numerusform>
        </translation>
    </message>
    <message>
        <source>Asking %1 for its branches and tags…</source>
        <translation>正在向 %1 查询分支和标签…</translation>
    </message>
    <message>
        <source>Could not list the branches and tags: %1</source>
        <translation>无法列出分支和标签：%1</translation>
    </message>
    <message numerus="yes">
        <source>%n branch(es), %1 tag(s) at the remote; pick one, or type a branch, tag or commit. The repository is cloned into Folio&apos;s cache when you open it.</source>
        <translation>
            <numerusform>远程仓库有 %n 个分支、%1 个标签；请选择其一，或输入分支、标签或提交。打开时仓库会被克隆到 Folio 的缓存中。</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>folio::ui::PdfViewer</name>
    <message>
        <source>PDF viewer</source>
        <translation>PDF 查看器</translation>
    </message>
    <message>
        <source>Previous page</source>
        <translation>上一页</translation>
    </message>
    <message>
        <source>Previous page (Page Up)</source>
        <translation>上一页（Page Up）</translation>
    </message>
    <message>
        <source>Next page</source>
        <translation>下一页</translation>
    </message>
    <message>
        <source>Next page (Page Down)</source>
        <translation>下一页（Page Down）</translation>
    </message>
    <message>
        <source>Page number</source>
        <translation>页码</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <source>Fit width</source>
        <translation>适合宽度</translation>
    </message>
    <message>
        <source>Fit page width</source>
        <translation>适合页面宽度</translation>
    </message>
    <message>
        <source>Page image</source>
        <translation>页面图像</translation>
    </message>
    <message>
        <source>Zoom level</source>
        <translation>缩放比例</translation>
    </message>
    <message>
        <source>Page count</source>
        <translation>总页数</translation>
    </message>
    <message>
        <source>of %L1</source>
        <translation>共 %L1 页</translation>
    </message>
    <message>
        <source>%1 is not a readable PDF.</source>
        <translation>%1 不是可读取的 PDF。</translation>
    </message>
    <message>
        <source>%1 is encrypted: a password is needed.</source>
        <translation>%1 已加密：需要密码。</translation>
    </message>
    <message>
        <source>The password for %1 is wrong.</source>
        <translation>%1 的密码错误。</translation>
    </message>
    <message>
        <source>Page %1 could not be drawn.</source>
        <translation>无法绘制第 %1 页。</translation>
    </message>
</context>
<context>
    <name>folio::ui::SessionsPanel</name>
    <message>
        <source>Sessions</source>
        <translation>会话</translation>
    </message>
    <message>
        <source>&lt;b&gt;Sessions&lt;/b&gt;</source>
        <translation>&lt;b&gt;会话&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Search sessions</source>
        <translation>搜索会话</translation>
    </message>
    <message>
        <source>Search sessions…</source>
        <translation>搜索会话…</translation>
    </message>
    <message>
        <source>Session list</source>
        <translation>会话列表</translation>
    </message>
    <message>
        <source>New Session</source>
        <translation>新建会话</translation>
    </message>
    <message>
        <source>New session</source>
        <translation>新会话</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>撤销</translation>
    </message>
    <message>
        <source>Undo delete</source>
        <translation>撤销删除</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>重命名</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>删除</translation>
    </message>
    <message>
        <source>Deleted “%1”.</source>
        <translation>已删除“%1”。</translation>
    </message>
</context>
<context>
    <name>folio::ui::SettingsDialog</name>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Settings sections</source>
        <translation>设置分类</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>模型(&amp;M)</translation>
    </message>
    <message>
        <source>&amp;Engine</source>
        <translation>引擎(&amp;E)</translation>
    </message>
    <message>
        <source>&amp;Answers</source>
        <translation>回答(&amp;A)</translation>
    </message>
    <message>
        <source>&amp;Storage and language</source>
        <translation>存储与语言(&amp;S)</translation>
    </message>
    <message>
        <source>A downloaded DeepSeek-V4-Flash (or another checkpoint of its architecture)</source>
        <translation>已下载的 DeepSeek-V4-Flash（或同架构的其他检查点）</translation>
    </message>
    <message>
        <source>Use a downloaded model</source>
        <translation>使用已下载的模型</translation>
    </message>
    <message>
        <source>Model directory</source>
        <translation>模型目录</translation>
    </message>
    <message>
        <source>Directory with config.json, tokenizer.json and *.safetensors</source>
        <translation>包含 config.json、tokenizer.json 和 *.safetensors 的目录</translation>
    </message>
    <message>
        <source>Model directory check</source>
        <translation>模型目录检查</translation>
    </message>
    <message>
        <source>The demo model built with Folio</source>
        <translation>Folio 自带的演示模型</translation>
    </message>
    <message>
        <source>Use the demo model</source>
        <translation>使用演示模型</translation>
    </message>
    <message>
        <source>The demo model has random weights: its answers are meaningless. It exists so you can try the whole workflow (sources, streaming, citations, sessions) without a 150 GB download.</source>
        <translation>演示模型的权重是随机的：它的回答毫无意义。它的作用是让你无需下载 150 GB 就能体验完整的工作流程（来源、流式输出、引用、会话）。</translation>
    </message>
    <message>
        <source>A remote OpenAI-compatible endpoint</source>
        <translation>远程的 OpenAI 兼容端点</translation>
    </message>
    <message>
        <source>Use a remote endpoint</source>
        <translation>使用远程端点</translation>
    </message>
    <message>
        <source>Endpoint URL</source>
        <translation>端点 URL</translation>
    </message>
    <message>
        <source>Remote model name</source>
        <translation>远程模型名称</translation>
    </message>
    <message>
        <source>URL:</source>
        <translation>URL：</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Choose the model directory</source>
        <translation>选择模型目录</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>后端</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>线程数</translation>
    </message>
    <message>
        <source>Automatic (%1)</source>
        <translation>自动（%1）</translation>
    </message>
    <message>
        <source>Context limit in tokens</source>
        <translation>上下文上限（词元）</translation>
    </message>
    <message>
        <source>Answer reserve in tokens</source>
        <translation>回答预留（词元）</translation>
    </message>
    <message>
        <source>&amp;Backend:</source>
        <translation>后端(&amp;B)：</translation>
    </message>
    <message>
        <source>&amp;Threads:</source>
        <translation>线程数(&amp;T)：</translation>
    </message>
    <message>
        <source>&amp;Context limit:</source>
        <translation>上下文上限(&amp;C)：</translation>
    </message>
    <message>
        <source>Answer &amp;reserve:</source>
        <translation>回答预留(&amp;R)：</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>温度</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Off</source>
        <translation>关闭</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>随机种子</translation>
    </message>
    <message>
        <source>Random</source>
        <translation>随机</translation>
    </message>
    <message>
        <source>Think before answering by default</source>
        <translation>默认在回答前先思考</translation>
    </message>
    <message>
        <source>Thinking by default</source>
        <translation>默认思考</translation>
    </message>
    <message>
        <source>T&amp;emperature:</source>
        <translation>温度(&amp;E)：</translation>
    </message>
    <message>
        <source>Top-&amp;p:</source>
        <translation>Top-&amp;p：</translation>
    </message>
    <message>
        <source>Top-&amp;k:</source>
        <translation>Top-&amp;k：</translation>
    </message>
    <message>
        <source>S&amp;eed:</source>
        <translation>随机种子(&amp;E)：</translation>
    </message>
    <message>
        <source>Snapshot storage cap in GiB</source>
        <translation>快照存储上限（GiB）</translation>
    </message>
    <message>
        <source> GiB</source>
        <translation> GiB</translation>
    </message>
    <message>
        <source>No snapshots</source>
        <translation>不保存快照</translation>
    </message>
    <message>
        <source>Snapshot location</source>
        <translation>快照位置</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>语言</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>系统语言</translation>
    </message>
    <message>
        <source>Snapshot &amp;cap:</source>
        <translation>快照上限(&amp;C)：</translation>
    </message>
    <message>
        <source>Snapshot &amp;location:</source>
        <translation>快照位置(&amp;L)：</translation>
    </message>
    <message>
        <source>Choose the snapshot location</source>
        <translation>选择快照位置</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>语言(&amp;L)：</translation>
    </message>
    <message>
        <source>%1 layers, hidden size %2, %3 routed experts, context %L4 tokens; weights %5, experts %6; %7 shards, %8 GiB needed in memory.</source>
        <translation>%1 层，隐藏维度 %2，%3 个路由专家，上下文 %L4 个词元；权重 %5，专家 %6；%7 个分片，需要 %8 GiB 内存。</translation>
    </message>
    <message>
        <source>This is the random-weight demo model.</source>
        <translation>这是随机权重的演示模型。</translation>
    </message>
    <message>
        <source>Endpoint preset</source>
        <translation>端点预设</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>自定义</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API 密钥</translation>
    </message>
    <message>
        <source>kept in a file only you can read; empty: none</source>
        <translation>保存在只有你能读取的文件中；留空表示无</translation>
    </message>
    <message>
        <source>Preset:</source>
        <translation>预设：</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>API 密钥：</translation>
    </message>
    <message>
        <source>Expert cache on each GPU in GiB</source>
        <translation>每个 GPU 上的专家缓存（GiB）</translation>
    </message>
    <message>
        <source>Off (all experts on the GPU)</source>
        <translation>关闭（所有专家都在 GPU 上）</translation>
    </message>
    <message>
        <source>Keep the routed experts in host memory and cache the most used ones on each GPU: for a model larger than the GPU&apos;s memory.</source>
        <translation>将路由专家保存在主机内存中，并在每个 GPU 上缓存最常用的专家：适用于大于 GPU 显存的模型。</translation>
    </message>
    <message>
        <source>&amp;Expert cache:</source>
        <translation>专家缓存(&amp;E)：</translation>
    </message>
    <message>
        <source>Checking the model directory…</source>
        <translation>正在检查模型目录…</translation>
    </message>
    <message>
        <source>Looking for CUDA devices…</source>
        <translation>正在查找 CUDA 设备…</translation>
    </message>
</context>
<context>
    <name>folio::ui::SourcesPanel</name>
    <message>
        <source>Sources</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>&lt;b&gt;Sources&lt;/b&gt;</source>
        <translation>&lt;b&gt;来源&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Open Repository…</source>
        <translation>打开仓库…</translation>
    </message>
    <message>
        <source>Open repository</source>
        <translation>打开仓库</translation>
    </message>
    <message>
        <source>Add Documents…</source>
        <translation>添加文档…</translation>
    </message>
    <message>
        <source>Add documents</source>
        <translation>添加文档</translation>
    </message>
    <message>
        <source>Sources tree</source>
        <translation>来源树</translation>
    </message>
    <message>
        <source>Context budget</source>
        <translation>上下文预算</translation>
    </message>
    <message>
        <source>Budget warning</source>
        <translation>预算警告</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>取消</translation>
    </message>
    <message>
        <source>Cancel reading sources</source>
        <translation>取消读取来源</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>进度</translation>
    </message>
    <message>
        <source>%1 / %2 tokens (reserve %3)%4</source>
        <translation>%1 / %2 个词元（预留 %3）%4</translation>
    </message>
    <message>
        <source>, estimated</source>
        <translation>，估算值</translation>
    </message>
    <message>
        <source>&lt;b&gt;Over budget by %1 tokens.&lt;/b&gt; Exclude some sources to fit:</source>
        <translation>&lt;b&gt;超出预算 %1 个词元。&lt;/b&gt;请排除部分来源：</translation>
    </message>
    <message>
        <source>&lt;code&gt;%1&lt;/code&gt; (%2): saves %3, total %4</source>
        <translation>&lt;code&gt;%1&lt;/code&gt;（%2）：节省 %3，合计 %4</translation>
    </message>
    <message numerus="yes">
        <source>Read %1: %n file(s) or page(s), %2 skipped, in %3 s (%4 per second)</source>
        <translation>
            <numerusform>已读取 %1：%n 个文件或页面，跳过 %2 个，用时 %3 秒（每秒 %4 个）</numerusform>
        </translation>
    </message>
    <message>
        <source>Working…</source>
        <translation>处理中…</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1（%2）</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/秒</translation>
    </message>
    <message>
        <source>%1 files/s</source>
        <translation>%1 个文件/秒</translation>
    </message>
    <message>
        <source>time left unknown</source>
        <translation>剩余时间未知</translation>
    </message>
    <message>
        <source>about %1 s left</source>
        <translation>约剩 %1 秒</translation>
    </message>
    <message>
        <source>%1 %2 of %3, %4, %5 (%6)</source>
        <translation>%1 %2 / %3，%4，%5（%6）</translation>
    </message>
    <message>
        <source>%1 pages/s</source>
        <translation>%1 页/秒</translation>
    </message>
    <message>
        <source>Reading progress</source>
        <translation>读取进度</translation>
    </message>
    <message>
        <source>Last source read</source>
        <translation>最近读取的来源</translation>
    </message>
</context>
<context>
    <name>folio::ui::WelcomePage</name>
    <message>
        <source>Choose the DeepSeek-V4-Flash directory</source>
        <translation>选择 DeepSeek-V4-Flash 目录</translation>
    </message>
    <message>
        <source>Welcome</source>
        <translation>欢迎</translation>
    </message>
    <message>
        <source>Welcome to Folio</source>
        <translation>欢迎使用 Folio</translation>
    </message>
    <message>
        <source>Folio answers questions about whole repositories and long documents with DeepSeek-V4-Flash. Choose where the answers come from; you can change it later in Settings.</source>
        <translation>Folio 借助 DeepSeek-V4-Flash 回答关于整个代码仓库和长篇文档的问题。请选择回答的来源；之后可以在设置中更改。</translation>
    </message>
    <message>
        <source>Use a downloaded DeepSeek-V4-Flash…</source>
        <translation>使用已下载的 DeepSeek-V4-Flash…</translation>
    </message>
    <message>
        <source>Use a downloaded DeepSeek-V4-Flash</source>
        <translation>使用已下载的 DeepSeek-V4-Flash</translation>
    </message>
    <message>
        <source>Point Folio at the directory with config.json, tokenizer.json and the *.safetensors shards. It runs on your machine: nothing leaves it.</source>
        <translation>将 Folio 指向包含 config.json、tokenizer.json 和 *.safetensors 分片的目录。模型在你的机器上运行：任何数据都不会离开它。</translation>
    </message>
    <message>
        <source>Try the demo model</source>
        <translation>试用演示模型</translation>
    </message>
    <message>
        <source>&lt;b&gt;Random weights: its answers are meaningless.&lt;/b&gt; The small demo model built with Folio exists so you can try the workflow — adding sources, streaming answers, citations, sessions — in seconds, without downloading 150 GB.</source>
        <translation>&lt;b&gt;随机权重：它的回答毫无意义。&lt;/b&gt;Folio 自带的小型演示模型让你无需下载 150 GB，几秒钟内即可体验整个工作流程——添加来源、流式回答、引用、会话。</translation>
    </message>
    <message>
        <source>Connect to a remote endpoint…</source>
        <translation>连接到远程端点…</translation>
    </message>
    <message>
        <source>Connect to a remote endpoint</source>
        <translation>连接到远程端点</translation>
    </message>
    <message>
        <source>Use a Folio server or any OpenAI-compatible endpoint that serves DeepSeek-V4-Flash, for example on a bigger machine.</source>
        <translation>使用 Folio 服务器或任何提供 DeepSeek-V4-Flash 的 OpenAI 兼容端点，例如运行在更强大机器上的服务。</translation>
    </message>
    <message>
        <source>Problem with the chosen model</source>
        <translation>所选模型有问题</translation>
    </message>
    <message>
        <source>The demo model is not at %1. Build it with `cmake --build build --target folio-demo-model`.</source>
        <translation>演示模型不在 %1。请用 `cmake --build build --target folio-demo-model` 构建它。</translation>
    </message>
    <message>
        <source>Checking %1…</source>
        <translation>正在检查 %1…</translation>
    </message>
</context>
</TS>
