<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de">
<context>
    <name>folio::app</name>
    <message>
        <source>No model directory chosen.</source>
        <translation>Kein Modellverzeichnis gewählt.</translation>
    </message>
    <message>
        <source>%1 does not exist.</source>
        <translation>%1 existiert nicht.</translation>
    </message>
    <message>
        <source>%1 has no tokenizer.json.</source>
        <translation>%1 enthält keine tokenizer.json.</translation>
    </message>
    <message>
        <source>Automatic (GPU when available)</source>
        <translation>Automatisch (GPU, falls vorhanden)</translation>
    </message>
    <message>
        <source>CPU</source>
        <translation>CPU</translation>
    </message>
    <message>
        <source>No CUDA device: %1</source>
        <translation>Kein CUDA-Gerät: %1</translation>
    </message>
    <message>
        <source>This build has no CUDA backend.</source>
        <translation>Dieser Build hat kein CUDA-Backend.</translation>
    </message>
    <message>
        <source>Remote endpoint</source>
        <translation>Entfernter Endpunkt</translation>
    </message>
    <message>
        <source>Remote</source>
        <translation>Entfernt</translation>
    </message>
    <message>
        <source>Auto</source>
        <translation>Automatisch</translation>
    </message>
</context>
<context>
    <name>folio::app::InferenceService</name>
    <message>
        <source>No model is loaded.</source>
        <translation>Kein Modell geladen.</translation>
    </message>
</context>
<context>
    <name>folio::app::IngestService</name>
    <message>
        <source>p. %1</source>
        <translation>S. %1</translation>
    </message>
    <message>
        <source>p. %1 (%2)</source>
        <translation>S. %1 (%2)</translation>
    </message>
    <message>
        <source> — no text (scanned?)</source>
        <translation> — kein Text (gescannt?)</translation>
    </message>
    <message numerus="yes">
        <source>Skipped (%n)</source>
        <translation>
            <numerusform>Übersprungen (%n)</numerusform>
            <numerusform>Übersprungen (%n)</numerusform>
        </translation>
    </message>
    <message>
        <source>Reading repository %1…</source>
        <translation>Lese Repository %1…</translation>
    </message>
    <message numerus="yes">
        <source>Reading %n document(s)…</source>
        <translation>
            <numerusform>Lese %n Dokument…</numerusform>
            <numerusform>Lese %n Dokumente…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Reading %n file(s) and folder(s)…</source>
        <translation>
            <numerusform>Lese %n Datei oder Ordner…</numerusform>
            <numerusform>Lese %n Dateien und Ordner…</numerusform>
        </translation>
    </message>
    <message>
        <source>Counting tokens…</source>
        <translation>Zähle Tokens…</translation>
    </message>
    <message>
        <source>Done</source>
        <translation>Fertig</translation>
    </message>
    <message>
        <source>Reading sources…</source>
        <translation>Quellen werden gelesen…</translation>
    </message>
    <message>
        <source>Restoring the session&apos;s sources…</source>
        <translation>Die Quellen der Sitzung werden wiederhergestellt…</translation>
    </message>
</context>
<context>
    <name>folio::app::RemoteAnswerBackend</name>
    <message>
        <source>remote: %1</source>
        <translation>entfernt: %1</translation>
    </message>
    <message>
        <source>Answers come from %1 (%2).</source>
        <translation>Antworten kommen von %1 (%2).</translation>
    </message>
    <message>
        <source>local server %1 (pid %2)</source>
        <translation>lokaler Server %1 (PID %2)</translation>
    </message>
    <message>
        <source>Using the running Folio server at %1 (pid %2): the model is not loaded a second time.</source>
        <translation>Der laufende Folio-Server unter %1 (PID %2) wird verwendet: Das Modell wird nicht ein zweites Mal geladen.</translation>
    </message>
    <message>
        <source>An answer is already running.</source>
        <translation>Es läuft bereits eine Antwort.</translation>
    </message>
    <message>
        <source>The remote endpoint needs a URL and a model name (Settings → Model).</source>
        <translation>Der entfernte Endpunkt braucht eine URL und einen Modellnamen (Einstellungen → Modell).</translation>
    </message>
</context>
<context>
    <name>folio::app::SessionController</name>
    <message>
        <source>Storage: %1</source>
        <translation>Speicher: %1</translation>
    </message>
    <message>
        <source>New session</source>
        <translation>Neue Sitzung</translation>
    </message>
    <message>
        <source>No model is loaded. Choose one in Settings.</source>
        <translation>Kein Modell geladen. Wählen Sie eines in den Einstellungen.</translation>
    </message>
    <message>
        <source>Some sources of this session could not be read again: %1</source>
        <translation>Einige Quellen dieser Sitzung konnten nicht erneut gelesen werden: %1</translation>
    </message>
</context>
<context>
    <name>folio::app::SessionSources</name>
    <message>
        <source>the stored options of %1 are not valid JSON</source>
        <translation>die gespeicherten Optionen von %1 sind kein gültiges JSON</translation>
    </message>
    <message>
        <source>unknown kind of source &quot;%1&quot; (%2)</source>
        <translation>unbekannte Art von Quelle „%1“ (%2)</translation>
    </message>
    <message>
        <source>cancelled</source>
        <translation>abgebrochen</translation>
    </message>
    <message>
        <source>%1 needs its password; using the text stored with the session</source>
        <translation>%1 braucht sein Passwort; der mit der Sitzung gespeicherte Text wird verwendet</translation>
    </message>
    <message>
        <source>%1 could not be read (%2); using the text stored with the session</source>
        <translation>%1 konnte nicht gelesen werden (%2); der mit der Sitzung gespeicherte Text wird verwendet</translation>
    </message>
    <message>
        <source>%1 changed since it was added; using the text stored with the session</source>
        <translation>%1 hat sich seit dem Hinzufügen geändert; der mit der Sitzung gespeicherte Text wird verwendet</translation>
    </message>
    <message>
        <source>%1 moved or was deleted; using the text stored with the session</source>
        <translation>%1 wurde verschoben oder gelöscht; der mit der Sitzung gespeicherte Text wird verwendet</translation>
    </message>
    <message>
        <source>%1: no text was stored with the session (%2)</source>
        <translation>%1: mit der Sitzung wurde kein Text gespeichert (%2)</translation>
    </message>
    <message>
        <source>nothing was read</source>
        <translation>es wurde nichts gelesen</translation>
    </message>
    <message>
        <source>%1 changed since it was added</source>
        <translation>%1 hat sich seit dem Hinzufügen geändert</translation>
    </message>
</context>
<context>
    <name>folio::app::SessionsModel</name>
    <message>
        <source>Untitled session</source>
        <translation>Unbenannte Sitzung</translation>
    </message>
    <message>
        <source>Last used %1</source>
        <translation>Zuletzt verwendet: %1</translation>
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
        <translation>Übersprungen: %1</translation>
    </message>
    <message>
        <source>%1: %L2 tokens</source>
        <translation>%1: %L2 Tokens</translation>
    </message>
    <message>
        <source>%1, skipped: %2</source>
        <translation>%1, übersprungen: %2</translation>
    </message>
    <message>
        <source>%1, %L2 tokens</source>
        <translation>%1, %L2 Tokens</translation>
    </message>
    <message>
        <source>Source</source>
        <translation>Quelle</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>Tokens</translation>
    </message>
</context>
<context>
    <name>folio::app::StorageService</name>
    <message>
        <source>The database is not open.</source>
        <translation>Die Datenbank ist nicht geöffnet.</translation>
    </message>
</context>
<context>
    <name>folio::ui::ChatView</name>
    <message>
        <source>Conversation</source>
        <translation>Unterhaltung</translation>
    </message>
    <message>
        <source>Add a repository or documents, then ask a question about them.</source>
        <translation>Fügen Sie ein Repository oder Dokumente hinzu und stellen Sie dann eine Frage dazu.</translation>
    </message>
    <message>
        <source>Folio</source>
        <translation>Folio</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Sie</translation>
    </message>
    <message>
        <source>Edit and resend</source>
        <translation>Bearbeiten und erneut senden</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Kopieren</translation>
    </message>
    <message numerus="yes">
        <source>Thinking (%n words)</source>
        <translation>
            <numerusform>Überlegung (%n Wort)</numerusform>
            <numerusform>Überlegung (%n Wörter)</numerusform>
        </translation>
    </message>
    <message>
        <source>Thinking…</source>
        <translation>Denkt nach…</translation>
    </message>
    <message>
        <source>Writing…</source>
        <translation>Schreibt…</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>Angehalten.</translation>
    </message>
    <message>
        <source>The answer failed:</source>
        <translation>Die Antwort ist fehlgeschlagen:</translation>
    </message>
    <message>
        <source>%L1 prompt tokens</source>
        <translation>%L1 Prompt-Tokens</translation>
    </message>
    <message>
        <source>first token after %L1 s</source>
        <translation>erstes Token nach %L1 s</translation>
    </message>
    <message>
        <source>%L1 tokens/s</source>
        <translation>%L1 Tokens/s</translation>
    </message>
    <message>
        <source>snapshot reused</source>
        <translation>Snapshot wiederverwendet</translation>
    </message>
    <message>
        <source>no snapshot reused</source>
        <translation>kein Snapshot wiederverwendet</translation>
    </message>
    <message numerus="yes">
        <source>%n unverified citation(s)</source>
        <translation>
            <numerusform>%n ungeprüftes Zitat</numerusform>
            <numerusform>%n ungeprüfte Zitate</numerusform>
        </translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>Neu erzeugen</translation>
    </message>
    <message>
        <source>Unverified citation %1: %2</source>
        <translation>Ungeprüftes Zitat %1: %2</translation>
    </message>
    <message>
        <source>Copied the code block.</source>
        <translation>Codeblock kopiert.</translation>
    </message>
    <message>
        <source>Copied the message.</source>
        <translation>Nachricht kopiert.</translation>
    </message>
</context>
<context>
    <name>folio::ui::CodeViewer</name>
    <message>
        <source>Code viewer</source>
        <translation>Codeansicht</translation>
    </message>
    <message>
        <source>Source text</source>
        <translation>Quelltext</translation>
    </message>
    <message>
        <source>Find in file</source>
        <translation>In Datei suchen</translation>
    </message>
    <message>
        <source>Find…</source>
        <translation>Suchen…</translation>
    </message>
    <message>
        <source>Previous match</source>
        <translation>Vorheriger Treffer</translation>
    </message>
    <message>
        <source>Previous match (Shift+Enter)</source>
        <translation>Vorheriger Treffer (Umschalt+Eingabe)</translation>
    </message>
    <message>
        <source>Next match</source>
        <translation>Nächster Treffer</translation>
    </message>
    <message>
        <source>Next match (Enter)</source>
        <translation>Nächster Treffer (Eingabe)</translation>
    </message>
    <message>
        <source>File path</source>
        <translation>Dateipfad</translation>
    </message>
    <message>
        <source>Cannot open %1: %2</source>
        <translation>%1 kann nicht geöffnet werden: %2</translation>
    </message>
    <message>
        <source>
… (truncated: the file is larger than %L1 MiB)</source>
        <translation>
… (gekürzt: die Datei ist größer als %L1 MiB)</translation>
    </message>
    <message>
        <source>Not found</source>
        <translation>Nicht gefunden</translation>
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
        <translation>Quellen und Ansicht</translation>
    </message>
    <message>
        <source>Main areas</source>
        <translation>Hauptbereiche</translation>
    </message>
    <message>
        <source>Could not add the source: %1</source>
        <translation>Die Quelle konnte nicht hinzugefügt werden: %1</translation>
    </message>
    <message>
        <source>Added %1: %2 items, %3 skipped, in %4 s (%5 items/s)</source>
        <translation>%1 hinzugefügt: %2 Einträge, %3 übersprungen, in %4 s (%5 Einträge/s)</translation>
    </message>
    <message>
        <source>The session database could not be opened: %1</source>
        <translation>Die Sitzungsdatenbank konnte nicht geöffnet werden: %1</translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation>Unterhaltung</translation>
    </message>
    <message>
        <source>Question</source>
        <translation>Frage</translation>
    </message>
    <message>
        <source>Ask about your sources… (Ctrl+Enter sends)</source>
        <translation>Fragen Sie zu Ihren Quellen… (Strg+Eingabe sendet)</translation>
    </message>
    <message>
        <source>&amp;Think</source>
        <translation>&amp;Nachdenken</translation>
    </message>
    <message>
        <source>Think before answering</source>
        <translation>Vor dem Antworten nachdenken</translation>
    </message>
    <message>
        <source>Let the model reason before it answers (slower, better on hard questions)</source>
        <translation>Das Modell vor der Antwort nachdenken lassen (langsamer, besser bei schweren Fragen)</translation>
    </message>
    <message>
        <source>Resend</source>
        <translation>Erneut senden</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Senden</translation>
    </message>
    <message>
        <source>Send question</source>
        <translation>Frage senden</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Anhalten</translation>
    </message>
    <message>
        <source>Stop the answer</source>
        <translation>Antwort anhalten</translation>
    </message>
    <message>
        <source>Reading progress</source>
        <translation>Lesefortschritt</translation>
    </message>
    <message>
        <source>Editing a question: sending makes a new branch. Esc cancels.</source>
        <translation>Frage wird bearbeitet: Senden erzeugt einen neuen Zweig. Esc bricht ab.</translation>
    </message>
    <message>
        <source>Editing a question</source>
        <translation>Frage wird bearbeitet</translation>
    </message>
    <message>
        <source>Conversation area</source>
        <translation>Unterhaltungsbereich</translation>
    </message>
    <message>
        <source>Viewer</source>
        <translation>Ansicht</translation>
    </message>
    <message>
        <source>Click a file, a page or a citation to view it here.</source>
        <translation>Klicken Sie auf eine Datei, eine Seite oder ein Zitat, um es hier anzuzeigen.</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Datei</translation>
    </message>
    <message>
        <source>&amp;New Session</source>
        <translation>&amp;Neue Sitzung</translation>
    </message>
    <message>
        <source>Open &amp;Repository…</source>
        <translation>&amp;Repository öffnen…</translation>
    </message>
    <message>
        <source>Add &amp;Documents…</source>
        <translation>&amp;Dokumente hinzufügen…</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Einstellungen…</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Beenden</translation>
    </message>
    <message>
        <source>&amp;Conversation</source>
        <translation>&amp;Unterhaltung</translation>
    </message>
    <message>
        <source>&amp;Send Question</source>
        <translation>Frage &amp;senden</translation>
    </message>
    <message>
        <source>S&amp;top Answer</source>
        <translation>Antwort an&amp;halten</translation>
    </message>
    <message>
        <source>&amp;Regenerate Answer</source>
        <translation>Antwort neu &amp;erzeugen</translation>
    </message>
    <message>
        <source>Toggle &amp;Thinking</source>
        <translation>&amp;Nachdenken umschalten</translation>
    </message>
    <message>
        <source>&amp;Copy Conversation</source>
        <translation>Unterhaltung &amp;kopieren</translation>
    </message>
    <message>
        <source>Copied the conversation.</source>
        <translation>Unterhaltung kopiert.</translation>
    </message>
    <message>
        <source>Re&amp;name Session</source>
        <translation>Sitzung &amp;umbenennen</translation>
    </message>
    <message>
        <source>&amp;Delete Session</source>
        <translation>Sitzung &amp;löschen</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Ansicht</translation>
    </message>
    <message>
        <source>Search &amp;Sessions</source>
        <translation>&amp;Sitzungen durchsuchen</translation>
    </message>
    <message>
        <source>Focus Session &amp;List</source>
        <translation>Fokus auf Sitzungs&amp;liste</translation>
    </message>
    <message>
        <source>Focus &amp;Question</source>
        <translation>Fokus auf &amp;Frage</translation>
    </message>
    <message>
        <source>Focus S&amp;ources</source>
        <translation>Fokus auf &amp;Quellen</translation>
    </message>
    <message>
        <source>Focus &amp;Viewer</source>
        <translation>Fokus auf &amp;Ansicht</translation>
    </message>
    <message>
        <source>Focus &amp;Conversation</source>
        <translation>Fokus auf &amp;Unterhaltung</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Hilfe</translation>
    </message>
    <message>
        <source>&amp;Keyboard Shortcuts</source>
        <translation>&amp;Tastenkürzel</translation>
    </message>
    <message>
        <source>&amp;About Folio</source>
        <translation>&amp;Über Folio</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modell</translation>
    </message>
    <message>
        <source>Device</source>
        <translation>Gerät</translation>
    </message>
    <message>
        <source>Memory in use</source>
        <translation>Belegter Speicher</translation>
    </message>
    <message>
        <source>Context used</source>
        <translation>Belegter Kontext</translation>
    </message>
    <message>
        <source>The model could not be loaded: %1</source>
        <translation>Das Modell konnte nicht geladen werden: %1</translation>
    </message>
    <message>
        <source>Reading the sources: %1 / %2 tokens, %3 tokens/s, about %4 s left (Esc stops)</source>
        <translation>Lese die Quellen: %1 / %2 Tokens, %3 Tokens/s, noch etwa %4 s (Esc hält an)</translation>
    </message>
    <message>
        <source>No model</source>
        <translation>Kein Modell</translation>
    </message>
    <message>
        <source>Demo model (random weights)</source>
        <translation>Demo-Modell (Zufallsgewichte)</translation>
    </message>
    <message>
        <source>Remote: %1</source>
        <translation>Entfernt: %1</translation>
    </message>
    <message>
        <source> (not loaded)</source>
        <translation> (nicht geladen)</translation>
    </message>
    <message>
        <source>Memory: %1</source>
        <translation>Speicher: %1</translation>
    </message>
    <message>
        <source>Memory: —</source>
        <translation>Speicher: —</translation>
    </message>
    <message>
        <source>Context: %1 / %2</source>
        <translation>Kontext: %1 / %2</translation>
    </message>
    <message>
        <source>Add Documents</source>
        <translation>Dokumente hinzufügen</translation>
    </message>
    <message>
        <source>Documents (*.pdf *.txt *.md *.markdown *.rst);;PDF (*.pdf);;All files (*)</source>
        <translation>Dokumente (*.pdf *.txt *.md *.markdown *.rst);;PDF (*.pdf);;Alle Dateien (*)</translation>
    </message>
    <message numerus="yes">
        <source>%n documents</source>
        <translation>
            <numerusform>%n Dokument</numerusform>
            <numerusform>%n Dokumente</numerusform>
        </translation>
    </message>
    <message>
        <source>The password was wrong. Password for %1:</source>
        <translation>Das Passwort war falsch. Passwort für %1:</translation>
    </message>
    <message>
        <source>%1 is encrypted. Password:</source>
        <translation>%1 ist verschlüsselt. Passwort:</translation>
    </message>
    <message>
        <source>Encrypted PDF</source>
        <translation>Verschlüsseltes PDF</translation>
    </message>
    <message>
        <source>%1 is not among the loaded sources.</source>
        <translation>%1 gehört nicht zu den geladenen Quellen.</translation>
    </message>
    <message>
        <source>Panels</source>
        <translation>Bereiche</translation>
    </message>
    <message>
        <source>Find in the code viewer</source>
        <translation>In der Codeansicht suchen</translation>
    </message>
    <message>
        <source>Rename the selected session</source>
        <translation>Gewählte Sitzung umbenennen</translation>
    </message>
    <message>
        <source>Delete the selected session</source>
        <translation>Gewählte Sitzung löschen</translation>
    </message>
    <message>
        <source>Move between controls</source>
        <translation>Zwischen Bedienelementen wechseln</translation>
    </message>
    <message>
        <source>Keyboard Shortcuts</source>
        <translation>Tastenkürzel</translation>
    </message>
    <message>
        <source>About Folio</source>
        <translation>Über Folio</translation>
    </message>
    <message>
        <source>&lt;h3&gt;Folio %1&lt;/h3&gt;&lt;p&gt;Ask questions about whole repositories and long documents with DeepSeek-V4-Flash running on your own machine.&lt;/p&gt;&lt;p&gt;%2&lt;/p&gt;</source>
        <translation>&lt;h3&gt;Folio %1&lt;/h3&gt;&lt;p&gt;Stellen Sie Fragen zu ganzen Repositorys und langen Dokumenten – mit DeepSeek-V4-Flash auf Ihrem eigenen Rechner.&lt;/p&gt;&lt;p&gt;%2&lt;/p&gt;</translation>
    </message>
    <message>
        <source>Loading the model from %1…</source>
        <translation>Lade das Modell aus %1…</translation>
    </message>
    <message>
        <source>Loaded %1.</source>
        <translation>%1 geladen.</translation>
    </message>
    <message>
        <source>&amp;Clone Repository from URL…</source>
        <translation>Repository von URL &amp;klonen…</translation>
    </message>
    <message>
        <source>Open Repository</source>
        <translation>Repository öffnen</translation>
    </message>
    <message>
        <source>Waiting for the endpoint… (Esc stops)</source>
        <translation>Warte auf den Endpunkt… (Esc bricht ab)</translation>
    </message>
    <message>
        <source>Preparing the prompt: reusing a kept or stored state of the sources when one matches… (Esc stops)</source>
        <translation>Bereite den Prompt vor: ein gehaltener oder gespeicherter Zustand der Quellen wird wiederverwendet, wenn einer passt… (Esc bricht ab)</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/s</translation>
    </message>
    <message>
        <source>Restoring the stored state: %1 of %2, %3</source>
        <translation>Gespeicherter Zustand wird wiederhergestellt: %1 von %2, %3</translation>
    </message>
    <message>
        <source>Saving the state for the next question: %1 written, %2</source>
        <translation>Zustand für die nächste Frage wird gespeichert: %1 geschrieben, %2</translation>
    </message>
</context>
<context>
    <name>folio::ui::OpenRepositoryDialog</name>
    <message>
        <source>Open Repository</source>
        <translation>Repository öffnen</translation>
    </message>
    <message>
        <source>Open repository</source>
        <translation>Repository öffnen</translation>
    </message>
    <message>
        <source>Repository folder or URL</source>
        <translation>Repository-Ordner oder URL</translation>
    </message>
    <message>
        <source>/path/to/repository or https://host/repo.git</source>
        <translation>/pfad/zum/repository oder https://host/repo.git</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>Choose the repository folder</source>
        <translation>Repository-Ordner wählen</translation>
    </message>
    <message>
        <source>Branch, tag or commit</source>
        <translation>Branch, Tag oder Commit</translation>
    </message>
    <message>
        <source>HEAD (the checked-out commit)</source>
        <translation>HEAD (der ausgecheckte Commit)</translation>
    </message>
    <message>
        <source>Read the &amp;working tree (include uncommitted changes)</source>
        <translation>&amp;Arbeitsverzeichnis lesen (mit nicht committeten Änderungen)</translation>
    </message>
    <message>
        <source>Read the working tree</source>
        <translation>Arbeitsverzeichnis lesen</translation>
    </message>
    <message>
        <source>&amp;Open</source>
        <translation>&amp;Öffnen</translation>
    </message>
    <message>
        <source>&amp;Repository:</source>
        <translation>&amp;Repository:</translation>
    </message>
    <message>
        <source>Re&amp;vision:</source>
        <translation>Re&amp;vision:</translation>
    </message>
    <message>
        <source>Choose a folder inside a git repository, or paste a URL to clone.</source>
        <translation>Wählen Sie einen Ordner in einem Git-Repository oder fügen Sie eine URL zum Klonen ein.</translation>
    </message>
    <message>
        <source>%1 does not exist.</source>
        <translation>%1 existiert nicht.</translation>
    </message>
    <message>
        <source>&amp;Branch or tag:</source>
        <translation>&amp;Branch oder Tag:</translation>
    </message>
    <message>
        <source>Recent &amp;commits:</source>
        <translation>Letzte &amp;Commits:</translation>
    </message>
    <message>
        <source>Branch or tag</source>
        <translation>Branch oder Tag</translation>
    </message>
    <message>
        <source>Recent commits</source>
        <translation>Letzte Commits</translation>
    </message>
    <message>
        <source>Subject</source>
        <translation>Betreff</translation>
    </message>
    <message>
        <source>Author</source>
        <translation>Autor</translation>
    </message>
    <message>
        <source>Date</source>
        <translation>Datum</translation>
    </message>
    <message>
        <source>Commit</source>
        <translation>Commit</translation>
    </message>
    <message>
        <source>Reading the branches and commits of %1…</source>
        <translation>Branches und Commits von %1 werden gelesen…</translation>
    </message>
    <message>
        <source>HEAD (detached)</source>
        <translation>HEAD (losgelöst)</translation>
    </message>
    <message>
        <source>HEAD (%1)</source>
        <translation>HEAD (%1)</translation>
    </message>
    <message>
        <source>branch %1</source>
        <translation>Branch %1</translation>
    </message>
    <message>
        <source>tag %1</source>
        <translation>Tag %1</translation>
    </message>
    <message>
        <source>%1 (HEAD)</source>
        <translation>%1 (HEAD)</translation>
    </message>
    <message>
        <source>The repository will be cloned into Folio&apos;s cache first; type a branch, tag or commit, or leave the revision empty for its HEAD.</source>
        <translation>Das Repository wird zuerst in Folios Cache geklont; geben Sie einen Branch, Tag oder Commit ein oder lassen Sie die Revision leer für seinen HEAD.</translation>
    </message>
    <message>
        <source>A bare repository has no working tree.</source>
        <translation>Ein Bare-Repository hat keinen Arbeitsbaum.</translation>
    </message>
    <message>
        <source>The repository has no commits yet; read its working tree.</source>
        <translation>Das Repository hat noch keine Commits; lesen Sie seinen Arbeitsbaum.</translation>
    </message>
    <message numerus="yes">
        <source>%n branch(es), %1 tag(s); pick a branch, tag or commit, or leave the revision empty for HEAD.</source>
        <translation>
            <numerusform>%n Branch, %1 Tag(s); wählen Sie einen Branch, Tag oder Commit oder lassen Sie die Revision leer für HEAD.</numerusform>
            <numerusform>%n Branches, %1 Tag(s); wählen Sie einen Branch, Tag oder Commit oder lassen Sie die Revision leer für HEAD.</numerusform>
        </translation>
    </message>
    <message>
        <source>Asking %1 for its branches and tags…</source>
        <translation>Frage %1 nach Branches und Tags…</translation>
    </message>
    <message>
        <source>Could not list the branches and tags: %1</source>
        <translation>Branches und Tags konnten nicht aufgelistet werden: %1</translation>
    </message>
    <message numerus="yes">
        <source>%n branch(es), %1 tag(s) at the remote; pick one, or type a branch, tag or commit. The repository is cloned into Folio&apos;s cache when you open it.</source>
        <translation>
            <numerusform>%n Branch, %1 Tag(s) auf dem Server; einen wählen oder Branch, Tag oder Commit eingeben. Beim Öffnen wird das Repository in Folios Cache geklont.</numerusform>
            <numerusform>%n Branches, %1 Tag(s) auf dem Server; einen wählen oder Branch, Tag oder Commit eingeben. Beim Öffnen wird das Repository in Folios Cache geklont.</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>folio::ui::PdfViewer</name>
    <message>
        <source>PDF viewer</source>
        <translation>PDF-Ansicht</translation>
    </message>
    <message>
        <source>Previous page</source>
        <translation>Vorherige Seite</translation>
    </message>
    <message>
        <source>Previous page (Page Up)</source>
        <translation>Vorherige Seite (Bild auf)</translation>
    </message>
    <message>
        <source>Next page</source>
        <translation>Nächste Seite</translation>
    </message>
    <message>
        <source>Next page (Page Down)</source>
        <translation>Nächste Seite (Bild ab)</translation>
    </message>
    <message>
        <source>Page number</source>
        <translation>Seitenzahl</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>Vergrößern</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>Verkleinern</translation>
    </message>
    <message>
        <source>Fit width</source>
        <translation>Breite anpassen</translation>
    </message>
    <message>
        <source>Fit page width</source>
        <translation>An Seitenbreite anpassen</translation>
    </message>
    <message>
        <source>Page image</source>
        <translation>Seitenbild</translation>
    </message>
    <message>
        <source>Zoom level</source>
        <translation>Zoomstufe</translation>
    </message>
    <message>
        <source>Page count</source>
        <translation>Seitenanzahl</translation>
    </message>
    <message>
        <source>of %L1</source>
        <translation>von %L1</translation>
    </message>
    <message>
        <source>%1 is not a readable PDF.</source>
        <translation>%1 ist kein lesbares PDF.</translation>
    </message>
    <message>
        <source>%1 is encrypted: a password is needed.</source>
        <translation>%1 ist verschlüsselt: ein Passwort wird benötigt.</translation>
    </message>
    <message>
        <source>The password for %1 is wrong.</source>
        <translation>Das Passwort für %1 ist falsch.</translation>
    </message>
    <message>
        <source>Page %1 could not be drawn.</source>
        <translation>Seite %1 konnte nicht gezeichnet werden.</translation>
    </message>
</context>
<context>
    <name>folio::ui::SessionsPanel</name>
    <message>
        <source>Sessions</source>
        <translation>Sitzungen</translation>
    </message>
    <message>
        <source>&lt;b&gt;Sessions&lt;/b&gt;</source>
        <translation>&lt;b&gt;Sitzungen&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Search sessions</source>
        <translation>Sitzungen durchsuchen</translation>
    </message>
    <message>
        <source>Search sessions…</source>
        <translation>Sitzungen durchsuchen…</translation>
    </message>
    <message>
        <source>Session list</source>
        <translation>Sitzungsliste</translation>
    </message>
    <message>
        <source>New Session</source>
        <translation>Neue Sitzung</translation>
    </message>
    <message>
        <source>New session</source>
        <translation>Neue Sitzung</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Rückgängig</translation>
    </message>
    <message>
        <source>Undo delete</source>
        <translation>Löschen rückgängig machen</translation>
    </message>
    <message>
        <source>Rename</source>
        <translation>Umbenennen</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Löschen</translation>
    </message>
    <message>
        <source>Deleted “%1”.</source>
        <translation>„%1“ gelöscht.</translation>
    </message>
</context>
<context>
    <name>folio::ui::SettingsDialog</name>
    <message>
        <source>Browse…</source>
        <translation>Durchsuchen…</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Einstellungen</translation>
    </message>
    <message>
        <source>Settings sections</source>
        <translation>Einstellungsbereiche</translation>
    </message>
    <message>
        <source>&amp;Model</source>
        <translation>&amp;Modell</translation>
    </message>
    <message>
        <source>&amp;Engine</source>
        <translation>&amp;Engine</translation>
    </message>
    <message>
        <source>&amp;Answers</source>
        <translation>&amp;Antworten</translation>
    </message>
    <message>
        <source>&amp;Storage and language</source>
        <translation>&amp;Speicher und Sprache</translation>
    </message>
    <message>
        <source>A downloaded DeepSeek-V4-Flash (or another checkpoint of its architecture)</source>
        <translation>Ein heruntergeladenes DeepSeek-V4-Flash (oder ein anderer Checkpoint dieser Architektur)</translation>
    </message>
    <message>
        <source>Use a downloaded model</source>
        <translation>Heruntergeladenes Modell verwenden</translation>
    </message>
    <message>
        <source>Model directory</source>
        <translation>Modellverzeichnis</translation>
    </message>
    <message>
        <source>Directory with config.json, tokenizer.json and *.safetensors</source>
        <translation>Verzeichnis mit config.json, tokenizer.json und *.safetensors</translation>
    </message>
    <message>
        <source>Model directory check</source>
        <translation>Prüfung des Modellverzeichnisses</translation>
    </message>
    <message>
        <source>The demo model built with Folio</source>
        <translation>Das mit Folio gebaute Demo-Modell</translation>
    </message>
    <message>
        <source>Use the demo model</source>
        <translation>Demo-Modell verwenden</translation>
    </message>
    <message>
        <source>The demo model has random weights: its answers are meaningless. It exists so you can try the whole workflow (sources, streaming, citations, sessions) without a 150 GB download.</source>
        <translation>Das Demo-Modell hat Zufallsgewichte: seine Antworten sind bedeutungslos. Es dient dazu, den ganzen Ablauf (Quellen, Streaming, Zitate, Sitzungen) ohne einen Download von 150 GB auszuprobieren.</translation>
    </message>
    <message>
        <source>A remote OpenAI-compatible endpoint</source>
        <translation>Ein entfernter OpenAI-kompatibler Endpunkt</translation>
    </message>
    <message>
        <source>Use a remote endpoint</source>
        <translation>Entfernten Endpunkt verwenden</translation>
    </message>
    <message>
        <source>Endpoint URL</source>
        <translation>Endpunkt-URL</translation>
    </message>
    <message>
        <source>Remote model name</source>
        <translation>Name des entfernten Modells</translation>
    </message>
    <message>
        <source>URL:</source>
        <translation>URL:</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>Modell:</translation>
    </message>
    <message>
        <source>Choose the model directory</source>
        <translation>Modellverzeichnis wählen</translation>
    </message>
    <message>
        <source>Backend</source>
        <translation>Backend</translation>
    </message>
    <message>
        <source>Threads</source>
        <translation>Threads</translation>
    </message>
    <message>
        <source>Automatic (%1)</source>
        <translation>Automatisch (%1)</translation>
    </message>
    <message>
        <source>Context limit in tokens</source>
        <translation>Kontextgrenze in Tokens</translation>
    </message>
    <message>
        <source>Answer reserve in tokens</source>
        <translation>Antwortreserve in Tokens</translation>
    </message>
    <message>
        <source>&amp;Backend:</source>
        <translation>&amp;Backend:</translation>
    </message>
    <message>
        <source>&amp;Threads:</source>
        <translation>&amp;Threads:</translation>
    </message>
    <message>
        <source>&amp;Context limit:</source>
        <translation>&amp;Kontextgrenze:</translation>
    </message>
    <message>
        <source>Answer &amp;reserve:</source>
        <translation>Antwort&amp;reserve:</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>Temperatur</translation>
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
        <translation>Aus</translation>
    </message>
    <message>
        <source>Seed</source>
        <translation>Startwert</translation>
    </message>
    <message>
        <source>Random</source>
        <translation>Zufällig</translation>
    </message>
    <message>
        <source>Think before answering by default</source>
        <translation>Standardmäßig vor dem Antworten nachdenken</translation>
    </message>
    <message>
        <source>Thinking by default</source>
        <translation>Standardmäßig nachdenken</translation>
    </message>
    <message>
        <source>T&amp;emperature:</source>
        <translation>T&amp;emperatur:</translation>
    </message>
    <message>
        <source>Top-&amp;p:</source>
        <translation>Top-&amp;p:</translation>
    </message>
    <message>
        <source>Top-&amp;k:</source>
        <translation>Top-&amp;k:</translation>
    </message>
    <message>
        <source>S&amp;eed:</source>
        <translation>Start&amp;wert:</translation>
    </message>
    <message>
        <source>Snapshot storage cap in GiB</source>
        <translation>Speichergrenze für Snapshots in GiB</translation>
    </message>
    <message>
        <source> GiB</source>
        <translation> GiB</translation>
    </message>
    <message>
        <source>No snapshots</source>
        <translation>Keine Snapshots</translation>
    </message>
    <message>
        <source>Snapshot location</source>
        <translation>Speicherort der Snapshots</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Sprache</translation>
    </message>
    <message>
        <source>System language</source>
        <translation>Systemsprache</translation>
    </message>
    <message>
        <source>Snapshot &amp;cap:</source>
        <translation>Snapshot-&amp;Grenze:</translation>
    </message>
    <message>
        <source>Snapshot &amp;location:</source>
        <translation>Snapshot-&amp;Speicherort:</translation>
    </message>
    <message>
        <source>Choose the snapshot location</source>
        <translation>Speicherort der Snapshots wählen</translation>
    </message>
    <message>
        <source>&amp;Language:</source>
        <translation>&amp;Sprache:</translation>
    </message>
    <message>
        <source>%1 layers, hidden size %2, %3 routed experts, context %L4 tokens; weights %5, experts %6; %7 shards, %8 GiB needed in memory.</source>
        <translation>%1 Schichten, verborgene Größe %2, %3 geroutete Experten, Kontext %L4 Tokens; Gewichte %5, Experten %6; %7 Shards, %8 GiB Speicher nötig.</translation>
    </message>
    <message>
        <source>This is the random-weight demo model.</source>
        <translation>Das ist das Demo-Modell mit Zufallsgewichten.</translation>
    </message>
    <message>
        <source>Endpoint preset</source>
        <translation>Endpunkt-Vorlage</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>Eigene</translation>
    </message>
    <message>
        <source>API key</source>
        <translation>API-Schlüssel</translation>
    </message>
    <message>
        <source>kept in a file only you can read; empty: none</source>
        <translation>in einer Datei, die nur Sie lesen können; leer: keiner</translation>
    </message>
    <message>
        <source>Preset:</source>
        <translation>Vorlage:</translation>
    </message>
    <message>
        <source>API key:</source>
        <translation>API-Schlüssel:</translation>
    </message>
    <message>
        <source>Expert cache on each GPU in GiB</source>
        <translation>Experten-Cache auf jeder GPU in GiB</translation>
    </message>
    <message>
        <source>Off (all experts on the GPU)</source>
        <translation>Aus (alle Experten auf der GPU)</translation>
    </message>
    <message>
        <source>Keep the routed experts in host memory and cache the most used ones on each GPU: for a model larger than the GPU&apos;s memory.</source>
        <translation>Die gerouteten Experten im Hauptspeicher halten und die meistgenutzten auf jeder GPU zwischenspeichern: für ein Modell, das größer ist als der Speicher der GPU.</translation>
    </message>
    <message>
        <source>&amp;Expert cache:</source>
        <translation>&amp;Experten-Cache:</translation>
    </message>
    <message>
        <source>Checking the model directory…</source>
        <translation>Prüfe das Modellverzeichnis…</translation>
    </message>
    <message>
        <source>Looking for CUDA devices…</source>
        <translation>Suche CUDA-Geräte…</translation>
    </message>
</context>
<context>
    <name>folio::ui::SourcesPanel</name>
    <message>
        <source>Sources</source>
        <translation>Quellen</translation>
    </message>
    <message>
        <source>&lt;b&gt;Sources&lt;/b&gt;</source>
        <translation>&lt;b&gt;Quellen&lt;/b&gt;</translation>
    </message>
    <message>
        <source>Open Repository…</source>
        <translation>Repository öffnen…</translation>
    </message>
    <message>
        <source>Open repository</source>
        <translation>Repository öffnen</translation>
    </message>
    <message>
        <source>Add Documents…</source>
        <translation>Dokumente hinzufügen…</translation>
    </message>
    <message>
        <source>Add documents</source>
        <translation>Dokumente hinzufügen</translation>
    </message>
    <message>
        <source>Sources tree</source>
        <translation>Quellenbaum</translation>
    </message>
    <message>
        <source>Context budget</source>
        <translation>Kontextbudget</translation>
    </message>
    <message>
        <source>Budget warning</source>
        <translation>Budgetwarnung</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Abbrechen</translation>
    </message>
    <message>
        <source>Cancel reading sources</source>
        <translation>Lesen der Quellen abbrechen</translation>
    </message>
    <message>
        <source>Progress</source>
        <translation>Fortschritt</translation>
    </message>
    <message>
        <source>%1 / %2 tokens (reserve %3)%4</source>
        <translation>%1 / %2 Tokens (Reserve %3)%4</translation>
    </message>
    <message>
        <source>, estimated</source>
        <translation>, geschätzt</translation>
    </message>
    <message>
        <source>&lt;b&gt;Over budget by %1 tokens.&lt;/b&gt; Exclude some sources to fit:</source>
        <translation>&lt;b&gt;Budget um %1 Tokens überschritten.&lt;/b&gt; Schließen Sie Quellen aus, damit es passt:</translation>
    </message>
    <message>
        <source>&lt;code&gt;%1&lt;/code&gt; (%2): saves %3, total %4</source>
        <translation>&lt;code&gt;%1&lt;/code&gt; (%2): spart %3, gesamt %4</translation>
    </message>
    <message numerus="yes">
        <source>Read %1: %n file(s) or page(s), %2 skipped, in %3 s (%4 per second)</source>
        <translation>
            <numerusform>%1 gelesen: %n Datei oder Seite, %2 übersprungen, in %3 s (%4 pro Sekunde)</numerusform>
            <numerusform>%1 gelesen: %n Dateien oder Seiten, %2 übersprungen, in %3 s (%4 pro Sekunde)</numerusform>
        </translation>
    </message>
    <message>
        <source>Working…</source>
        <translation>In Arbeit…</translation>
    </message>
    <message>
        <source>%1 s</source>
        <translation>%1 s</translation>
    </message>
    <message>
        <source>%1 (%2)</source>
        <translation>%1 (%2)</translation>
    </message>
    <message>
        <source>%1/s</source>
        <translation>%1/s</translation>
    </message>
    <message>
        <source>%1 files/s</source>
        <translation>%1 Dateien/s</translation>
    </message>
    <message>
        <source>time left unknown</source>
        <translation>Restzeit unbekannt</translation>
    </message>
    <message>
        <source>about %1 s left</source>
        <translation>noch etwa %1 s</translation>
    </message>
    <message>
        <source>%1 %2 of %3, %4, %5 (%6)</source>
        <translation>%1 %2 von %3, %4, %5 (%6)</translation>
    </message>
    <message>
        <source>%1 pages/s</source>
        <translation>%1 Seiten/s</translation>
    </message>
    <message>
        <source>Reading progress</source>
        <translation>Lesefortschritt</translation>
    </message>
    <message>
        <source>Last source read</source>
        <translation>Zuletzt gelesene Quelle</translation>
    </message>
</context>
<context>
    <name>folio::ui::WelcomePage</name>
    <message>
        <source>Choose the DeepSeek-V4-Flash directory</source>
        <translation>DeepSeek-V4-Flash-Verzeichnis wählen</translation>
    </message>
    <message>
        <source>Welcome</source>
        <translation>Willkommen</translation>
    </message>
    <message>
        <source>Welcome to Folio</source>
        <translation>Willkommen bei Folio</translation>
    </message>
    <message>
        <source>Folio answers questions about whole repositories and long documents with DeepSeek-V4-Flash. Choose where the answers come from; you can change it later in Settings.</source>
        <translation>Folio beantwortet mit DeepSeek-V4-Flash Fragen zu ganzen Repositorys und langen Dokumenten. Wählen Sie, woher die Antworten kommen; Sie können es später in den Einstellungen ändern.</translation>
    </message>
    <message>
        <source>Use a downloaded DeepSeek-V4-Flash…</source>
        <translation>Heruntergeladenes DeepSeek-V4-Flash verwenden…</translation>
    </message>
    <message>
        <source>Use a downloaded DeepSeek-V4-Flash</source>
        <translation>Heruntergeladenes DeepSeek-V4-Flash verwenden</translation>
    </message>
    <message>
        <source>Point Folio at the directory with config.json, tokenizer.json and the *.safetensors shards. It runs on your machine: nothing leaves it.</source>
        <translation>Geben Sie Folio das Verzeichnis mit config.json, tokenizer.json und den *.safetensors-Shards. Es läuft auf Ihrem Rechner: nichts verlässt ihn.</translation>
    </message>
    <message>
        <source>Try the demo model</source>
        <translation>Demo-Modell ausprobieren</translation>
    </message>
    <message>
        <source>&lt;b&gt;Random weights: its answers are meaningless.&lt;/b&gt; The small demo model built with Folio exists so you can try the workflow — adding sources, streaming answers, citations, sessions — in seconds, without downloading 150 GB.</source>
        <translation>&lt;b&gt;Zufallsgewichte: seine Antworten sind bedeutungslos.&lt;/b&gt; Das kleine, mit Folio gebaute Demo-Modell lässt Sie den Ablauf – Quellen hinzufügen, Antworten streamen, Zitate, Sitzungen – in Sekunden ausprobieren, ohne 150 GB herunterzuladen.</translation>
    </message>
    <message>
        <source>Connect to a remote endpoint…</source>
        <translation>Mit entferntem Endpunkt verbinden…</translation>
    </message>
    <message>
        <source>Connect to a remote endpoint</source>
        <translation>Mit entferntem Endpunkt verbinden</translation>
    </message>
    <message>
        <source>Use a Folio server or any OpenAI-compatible endpoint that serves DeepSeek-V4-Flash, for example on a bigger machine.</source>
        <translation>Verwenden Sie einen Folio-Server oder einen beliebigen OpenAI-kompatiblen Endpunkt, der DeepSeek-V4-Flash bereitstellt, etwa auf einem größeren Rechner.</translation>
    </message>
    <message>
        <source>Problem with the chosen model</source>
        <translation>Problem mit dem gewählten Modell</translation>
    </message>
    <message>
        <source>The demo model is not at %1. Build it with `cmake --build build --target folio-demo-model`.</source>
        <translation>Das Demo-Modell liegt nicht unter %1. Bauen Sie es mit `cmake --build build --target folio-demo-model`.</translation>
    </message>
    <message>
        <source>Checking %1…</source>
        <translation>Prüfe %1…</translation>
    </message>
</context>
</TS>
